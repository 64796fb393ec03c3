"""check_path on a real directory tree with real symlinks (no mocks)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardian.analyzers import Verdict, check_path
from guardian.core.decision import Decision

from .corpus import accuracy_report, load, mismatch

_, CASES = load("paths")


def build_tree(tmp: Path) -> Path:
    """The tree described at the top of corpora/paths.yaml."""
    for d in ("data/docs", "data2", "outside", "home"):
        (tmp / d).mkdir(parents=True)
    (tmp / "data/docs/readme.md").write_text("hello")
    (tmp / "data/.env").write_text("TOKEN=x")
    (tmp / "data2/x.txt").write_text("x")
    (tmp / "outside/secret.txt").write_text("s")
    (tmp / "home/notes.md").write_text("n")
    (tmp / "data/link_in").symlink_to(tmp / "data/docs")
    (tmp / "data/link_out").symlink_to(tmp / "outside")
    (tmp / "data/etc_link").symlink_to("/etc")
    (tmp / "data/dangling").symlink_to(tmp / "outside/new.txt")
    (tmp / "data/notes.txt").symlink_to(".env")
    (tmp / "data/loop_a").symlink_to(tmp / "data/loop_b")
    (tmp / "data/loop_b").symlink_to(tmp / "data/loop_a")
    (tmp / "rootlink").symlink_to(tmp / "data")
    return tmp


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tmp = Path(os.path.realpath(tmp_path))
    monkeypatch.setenv("HOME", str(tmp / "home"))
    return build_tree(tmp)


def fill(text: str, tmp: Path) -> str:
    return text.format(tmp=tmp, root=tmp / "data", home=tmp / "home")


def judge(case: dict[str, Any], tmp: Path) -> Verdict:
    roots = [fill(r, tmp) for r in case.get("roots", ["{root}"])]
    return check_path(fill(case["path"], tmp), roots=roots, mode=case.get("mode", "read"))


def test_corpus_size_and_mix() -> None:
    assert len(CASES) >= 40
    assert {c["decision"] for c in CASES} == {"ALLOW", "DENY"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any], tree: Path) -> None:
    problem = mismatch(case, judge(case, tree))
    assert problem is None, problem


def test_corpus_accuracy_is_100_percent(tree: Path) -> None:
    accuracy, failures = accuracy_report(CASES, lambda c: judge(c, tree))
    assert accuracy == 1.0, f"{accuracy:.1%} accurate; failing cases:\n" + "\n".join(failures)


def test_mode_is_in_every_message(tree: Path) -> None:
    for mode in ("read", "write"):
        verdict = check_path("../outside/secret.txt", roots=[str(tree / "data")], mode=mode)
        assert verdict.findings and all(f.message.startswith(mode) for f in verdict.findings)


def test_pathlike_arguments(tree: Path) -> None:
    assert check_path(tree / "data/docs/readme.md", roots=tree / "data").allowed
    assert check_path(Path("docs/readme.md"), roots=[tree / "data"]).allowed


def test_repointed_root_symlink_is_noticed(tree: Path) -> None:
    link = tree / "movable"
    link.symlink_to(tree / "data")
    inside_data = str(tree / "data/docs/readme.md")
    assert check_path(inside_data, roots=[str(link)]).allowed
    link.unlink()
    link.symlink_to(tree / "data2")  # same root string, new target
    assert check_path(inside_data, roots=[str(link)]).decision is Decision.DENY
    assert check_path(str(tree / "data2/x.txt"), roots=[str(link)]).allowed


def test_fast_resolution_matches_realpath(tree: Path) -> None:
    from guardian.analyzers.paths import _resolve

    data = tree / "data"
    for rel in ("docs/readme.md", "link_in/readme.md", "link_out/secret.txt", "etc_link/passwd",
                "dangling", "notes.txt", "loop_a", "missing/x", "docs/new.md", "link_out/new",
                "link_out/../docs/readme.md", "docs/", "."):  # fmt: skip
        path = os.path.join(data, rel)
        assert _resolve(path) == os.path.realpath(path), rel


SEGMENTS = st.sampled_from(["..", ".", "docs", "link_in", "link_out", "etc_link", "dangling",
                            "notes.txt", "x", "data", "data2", "rootlink", "", "loop_a"])  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(SEGMENTS, min_size=1, max_size=6), absolute=st.booleans())
def test_never_allows_a_path_resolving_outside(
    parts: list[str], absolute: bool, tree: Path
) -> None:
    root = str(tree / "data")
    path = "/".join(parts)
    if absolute:
        path = os.path.join(str(tree), path)
    verdict = check_path(path, roots=[root])
    if verdict.decision is Decision.ALLOW:
        real = os.path.realpath(os.path.join(root, path))
        assert os.path.commonpath([real, os.path.realpath(root)]) == os.path.realpath(root), path
