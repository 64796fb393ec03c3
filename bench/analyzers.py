"""Latency of the risk analyzers, each next to a reference measured in the same run.

    .venv/bin/python bench/analyzers.py            (or: ./run bench analyzers)

* check_sql on a three-table JOIN with a subquery, next to `sqlglot.parse` of the same text
  and to the parse step check_sql runs on a shape it has not seen (sqlglot's tokenizer and
  parser, reused). "new values" varies a literal every iteration: every query is new text
  of a known shape (analyzers/sql_shape.py: tokenize, look the shape up, judge), which is
  how agents query; the goal is judged on it. "new shape" also names a new column alias
  every iteration, so no shape is ever known (tokenize, parse, walk, judge). The four
  figures are measured interleaved, runs of 50 calls of each in turn, so load changes on a
  shared machine hit them alike and their ratios hold.
* check_email on a ~1.4 KB email, next to detect-secrets (installed into its own venv under
  bench/.venvs/detect-secrets with `uv venv` + `uv pip install detect-secrets`, run as a
  subprocess that times itself and reports JSON), with the ratio.
* check_path on a real temporary tree (symlinked root included).

Prints p50/p99 (time.perf_counter_ns over many iterations), whether each goal is met, and
writes bench/.data/analyzers.RESULTS.md. `--quick` runs fewer iterations; `--no-detect-secrets`
skips the comparison (e.g. offline).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlglot

from guardian.analyzers import check_email, check_path, check_sql
from guardian.analyzers.sql_parse import parse as reused_parse
from guardian.analyzers.sql_walk import Walker

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venvs" / "detect-secrets"
RESULTS = HERE / ".data" / "analyzers.RESULTS.md"
COMMAND = ".venv/bin/python bench/analyzers.py"

SQL = (
    "SELECT o.id, o.total, c.name, p.title FROM orders AS o "
    "JOIN customers AS c ON c.id = o.customer_id "
    "JOIN products AS p ON p.id = o.product_id "
    "WHERE o.total > (SELECT avg(total) FROM orders WHERE created_at > '2024-01-01') "
    "AND c.country = 'DE' AND o.id > {n} ORDER BY o.total DESC LIMIT 50"
)
SENSITIVE = {"customers": ["email", "phone", "tax_id"], "payroll": ["*"]}

SUBJECT = "Q3 supplier review: action items and revised delivery schedule"
BODY = """Hi Carol, hi Bob,

thanks for the productive call on Tuesday. As agreed, here is a short summary of the
action items and the revised delivery schedule for the Q3 supplier review.

1. Order 4471-2209 (128 units, SKU AX-5530) ships from the Rotterdam warehouse on
   2024-09-16; the remaining 72 units follow on 2024-09-30 once customs clears them.
2. Invoice INV-2024-0913 was reissued with the corrected VAT rate (19 %). Please check
   the PDF in the shared folder: https://files.example.com/finance/q3/INV-2024-0913.pdf
3. The quality report for batch 7F3A is attached. Defect rate is down to 0.8 % from
   1.9 % last quarter, which meets the threshold in section 4.2 of the agreement.
4. Bob will update the forecast sheet (tab "Q4 draft") by Friday 27 September.
5. For the integration work, the build that passed acceptance is commit 3f786850e387550
   on the release/2024.09 branch; ticket 123e4567-e89b-12d3-a456-426614174000 tracks
   the follow-ups. The staging URL stays the same.

Open questions: can the Rotterdam team confirm pallet dimensions (120 x 80 cm, max
height 1.6 m)? And do we keep the weekly sync at 10:00 CET or move it to 14:00?

If anything is unclear, call me on +49 30 1234 5678 or reply to this thread. I am
out of office from 1 to 4 October; Dana (dana@example.com) covers for me.

Best regards,
Alice
"""
RECIPIENTS = ["Carol Jones <carol@partner-logistics.com>", "bob@example.com"]

DETECT_SECRETS_RUNNER = r"""
import json, sys, tempfile, time, os
from detect_secrets.core import scan
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import default_settings

text, iterations = sys.stdin.read(), int(sys.argv[1])

def p(ts, q):
    ts = sorted(ts)
    return ts[min(len(ts) - 1, int(len(ts) * q))] / 1000

out = {}
with default_settings():
    lines = text.splitlines()
    def adhoc():
        return [s for line in lines for s in scan.scan_line(line)]
    fd, path = tempfile.mkstemp(suffix=".txt")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    def file_scan():
        c = SecretsCollection()
        c.scan_file(path)
        return c
    for name, fn in (("scan_line", adhoc), ("scan_file", file_scan)):
        for _ in range(max(5, iterations // 10)):
            fn()
        ts = []
        for _ in range(iterations):
            t0 = time.perf_counter_ns(); fn(); ts.append(time.perf_counter_ns() - t0)
        out[name] = {"p50_us": p(ts, 0.5), "p99_us": p(ts, 0.99), "n": iterations}
    os.unlink(path)
from importlib.metadata import version
out["version"] = version("detect-secrets")
print(json.dumps(out))
"""


def measure(fn: Callable[[int], object], iterations: int) -> tuple[float, float]:
    """(p50, p99) in microseconds; `fn` gets the iteration number."""
    for i in range(max(50, iterations // 10)):
        fn(-1 - i)
    samples = []
    clock = time.perf_counter_ns
    for i in range(iterations):
        start = clock()
        fn(i)
        samples.append(clock() - start)
    samples.sort()
    return samples[len(samples) // 2] / 1000, samples[
        min(len(samples) - 1, int(len(samples) * 0.99))
    ] / 1000


def measure_together(
    fns: dict[str, Callable[[int], object]], iterations: int, block: int = 50
) -> dict[str, tuple[float, float]]:
    """`measure` for several functions at once: runs of `block` calls of each in turn, so a
    load change on a shared machine hits them alike, while no call runs right after another
    function's (sqlglot.parse, building a tokenizer per call, would evict check_sql's caches)."""
    names = list(fns)
    samples: dict[str, list[int]] = {name: [] for name in names}
    clock = time.perf_counter_ns
    for run in range(-1, iterations // block):
        k = run % len(names)
        for name in names[k:] + names[:k]:
            fn, taken = fns[name], samples[name]
            for i in range(run * block, (run + 1) * block):
                start = clock()
                fn(i)
                if run >= 0:
                    taken.append(clock() - start)
    out = {}
    for name, taken in samples.items():
        taken.sort()
        out[name] = (
            taken[len(taken) // 2] / 1000,
            taken[min(len(taken) - 1, int(len(taken) * 0.99))] / 1000,
        )
    return out


def new_shape(i: int) -> str:
    """The benchmark query with a column alias no earlier query had: a shape never seen."""
    return SQL.replace("o.total,", f"o.total AS total_{i},").format(n=i)


def measure_walk(iterations: int) -> tuple[float, float]:
    """`measure` for the walk alone, over a tree parsed just before (untimed), as in check_sql."""
    samples = []
    clock = time.perf_counter_ns
    for i in range(-max(50, iterations // 10), iterations):
        tree = reused_parse(SQL.format(n=i + 3 * 10**6), "postgres")[0]
        assert tree is not None
        start = clock()
        Walker().statement(tree)
        if i >= 0:
            samples.append(clock() - start)
    samples.sort()
    return samples[len(samples) // 2] / 1000, samples[int(len(samples) * 0.99)] / 1000


def detect_secrets(text: str, iterations: int) -> dict[str, object] | str:
    """Timings from detect-secrets in its own venv, or why they are missing."""
    python = VENV / "bin" / "python"
    if not python.exists():
        uv = shutil.which("uv")
        if uv is None:
            return "uv not found"
        try:
            subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(VENV)], check=True)
            subprocess.run(
                [uv, "pip", "install", "-q", "--python", str(python), "detect-secrets"], check=True
            )
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            return f"could not install detect-secrets ({exc})"
    done = subprocess.run(
        [str(python), "-c", DETECT_SECRETS_RUNNER, str(iterations)],
        input=text, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return f"detect-secrets run failed: {done.stderr.strip()[-300:]}"
    result: dict[str, object] = json.loads(done.stdout)
    return result


def build_tree(base: Path) -> tuple[str, str]:
    data = base / "srv" / "agent" / "workspace"
    (data / "docs" / "reports").mkdir(parents=True)
    (data / "docs" / "reports" / "q3.md").write_text("report")
    (base / "root").symlink_to(data)
    return str(data), str(base / "root")


def main() -> int:
    quick = "--quick" in sys.argv
    load_before = os.getloadavg()[0]
    scale = 5 if quick else 1
    rows: list[tuple[str, float, float, str]] = []
    goals: list[tuple[str, bool, str]] = []

    # --- SQL ---------------------------------------------------------------------------
    for query in (SQL.format(n=0), new_shape(0)):
        assert check_sql(query, sensitive=SENSITIVE).decision.value == "ALLOW"
    together = measure_together(
        {
            "parse": lambda i: sqlglot.parse(SQL.format(n=i), read="postgres"),
            "reused": lambda i: reused_parse(SQL.format(n=i + 2 * 10**6), "postgres"),
            "values": lambda i: check_sql(SQL.format(n=i + 10**6), sensitive=SENSITIVE),
            "shape": lambda i: check_sql(new_shape(i + 1), sensitive=SENSITIVE),
        },
        4000 // scale,
    )
    parse, reused = together["parse"], together["reused"]
    values, shape = together["values"], together["shape"]
    walk = measure_walk(4000 // scale)
    rows += [
        ("sqlglot.parse (reference)", *parse, "same JOIN+subquery text"),
        ("sqlglot parse, reused tokenizer + parser", *reused,
         f"check_sql's parse step on a new shape; {reused[0] / parse[0]:.2f}x sqlglot.parse"),
        ("check_sql, known shape, new values", *values,
         f"every query new text; {values[0] / parse[0]:.2f}x sqlglot.parse"),
        ("check_sql, new shape (parse + analysis)", *shape,
         f"{shape[0] / parse[0]:.2f}x sqlglot.parse, {shape[0] / reused[0]:.2f}x the reused parse"),
        ("  of which: the walk over the parsed tree", *walk,
         "alone, on a tree parsed just before"),
    ]  # fmt: skip
    goals.append(("check_sql p50 <= 150 us (known shape, new values)", values[0] <= 150,
                  f"{values[0]:.0f} us; a shape seen for the first time: {shape[0]:.0f} us"))  # fmt: skip

    # --- email -------------------------------------------------------------------------
    size = len(SUBJECT) + len(BODY) + sum(map(len, RECIPIENTS))
    mail = measure(lambda i: check_email(RECIPIENTS, SUBJECT, BODY), 20000 // scale)
    rows.append((f"check_email ({size} chars)", *mail, "verdict " + check_email(
        RECIPIENTS, SUBJECT, BODY).decision.value))  # fmt: skip
    goals.append(("check_email p50 <= 200 us", mail[0] <= 200, f"{mail[0]:.0f} us"))
    ds: dict[str, object] | str = "skipped (--no-detect-secrets)"
    if "--no-detect-secrets" not in sys.argv:
        ds = detect_secrets(SUBJECT + "\n" + BODY, 400 // scale)
    if isinstance(ds, dict):
        for mode in ("scan_line", "scan_file"):
            timing = ds[mode]
            assert isinstance(timing, dict)
            rows.append((f"detect-secrets {ds['version']} {mode}", timing["p50_us"],
                         timing["p99_us"], f"{timing['p50_us'] / mail[0]:.0f}x check_email"))  # fmt: skip
        fastest = min(float(ds[m]["p50_us"]) for m in ("scan_line", "scan_file"))  # type: ignore[index]
        ratio = fastest / mail[0]
        goals.append(("check_email >= 30x faster than detect-secrets", ratio >= 30,
                      f"{ratio:.0f}x (vs its faster mode)"))  # fmt: skip
    else:
        goals.append(("check_email >= 30x faster than detect-secrets", False, ds))

    # --- paths -------------------------------------------------------------------------
    with tempfile.TemporaryDirectory() as tmp:
        real_root, link_root = build_tree(Path(os.path.realpath(tmp)))
        read = measure(
            lambda i: check_path("docs/reports/q3.md", roots=[real_root]), 50000 // scale
        )
        new = measure(
            lambda i: check_path("docs/reports/new.md", roots=[link_root], mode="write"),
            50000 // scale,
        )
        outside = measure(
            lambda i: check_path("../../../etc/passwd", roots=[real_root]), 20000 // scale
        )
    rows += [
        ("check_path read, existing file", *read, "6-level root"),
        ("check_path write, new file, symlinked root", *new, ""),
        ("check_path, ../ escape (DENY)", *outside, ""),
    ]
    goals.append(("check_path p50 <= 20 us", read[0] <= 20, f"{read[0]:.1f} us"))

    report(rows, goals, quick, (load_before, os.getloadavg()[0]))
    return 0


def report(
    rows: list[tuple[str, float, float, str]],
    goals: list[tuple[str, bool, str]],
    quick: bool,
    load: tuple[float, float],
) -> None:
    env = (f"Python {platform.python_version()}, sqlglot {sqlglot.__version__} "
           f"({'compiled' if _compiled() else 'pure Python'}), {os.cpu_count()} CPUs, "
           f"{platform.machine()} {platform.system()}, "
           f"load average (1 min) {load[0]:.2f} at the start, {load[1]:.2f} at the end")  # fmt: skip
    width = max(len(r[0]) for r in rows)
    print(env)
    print(f"{'':{width}}  {'p50 us':>9}  {'p99 us':>9}")
    for name, p50, p99, note in rows:
        print(f"{name:{width}}  {p50:9.1f}  {p99:9.1f}  {note}")
    print()
    for goal, met, value in goals:
        print(f"[{'met' if met else 'NOT met'}] {goal}: {value}")
    lines = [
        "## Analyzers",
        "",
        f"Command: `{COMMAND}{' --quick' if quick else ''}` ({time.strftime('%Y-%m-%d')}; {env}).",
        "",
        "| measurement | p50 µs | p99 µs | note |",
        "|---|---:|---:|---|",
        *(f"| {n} | {a:.1f} | {b:.1f} | {note} |" for n, a, b, note in rows),
        "",
        *(f"- {'met' if met else '**not met**'}: {goal} ({value})" for goal, met, value in goals),
        "",
        "A query of a known shape (the same tokens, other literal values) costs sqlglot's",
        "tokenizer, one pass building the shape, a dict lookup and the policy check. A new",
        "shape is sqlglot's tokenize + parse (with a tokenizer and parser kept per thread, not",
        "built per call as `sqlglot.parse` does), one walk over the tree (its row times it",
        "alone), then the row bound, the facts and the policy check; sqlglot's parse alone is",
        "over 150 µs on this machine. p99s on a shared 2-core VM are mostly scheduler noise;",
        "p50 is the figure to compare.",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(HERE.parent)}")


def _compiled() -> bool:
    import sqlglot.parser

    return not str(sqlglot.parser.__file__).endswith(".py")


if __name__ == "__main__":
    raise SystemExit(main())
