"""The proxy's pure pieces, without processes: redaction of results, params, refusals, options."""

from __future__ import annotations

import pytest

from guardian.core.decision import Decision
from guardian.facade import Guardian
from guardian.integrations.mcp import Listen, LocalDecider, Settings, ToolGovernor
from guardian.integrations.mcp.decider import Ruling
from guardian.integrations.mcp.passthrough import upstream_params
from guardian.integrations.mcp.results import redact_result, refusal

POLICY = {
    "version": 1,
    "tools": {"read_*": {"target": "path"}, "fs.move_file": {"target": "source"}},
    "rules": [
        {"id": "reads", "action": "fs.read_*", "effect": "ALLOW"},
        {"id": "moves", "action": "fs.move_file", "effect": "ASK"},
        {"id": "deletes", "action": "fs.delete_*", "effect": "DENY"},
    ],
}


def test_redaction_scans_text_only_and_reports_paths() -> None:
    key = "AKIAIOSFODNN7EXAMPLE"
    result = {
        "content": [
            {"type": "text", "text": f"key {key}"},
            {"type": "image", "data": key, "mimeType": "image/png"},
            {"type": "resource", "resource": {"uri": "file:///x", "text": f"k={key}"}},
        ],
        "structuredContent": {"k": key},
        "isError": False,
    }
    clean, found = redact_result(result)
    assert clean["content"][0]["text"] == "key [REDACTED:secret]"
    assert clean["content"][1]["data"] == key  # base64 data is not text
    assert key not in clean["content"][2]["resource"]["text"]
    assert clean["structuredContent"] == {"k": "[REDACTED:secret]"}
    assert [f["path"] for f in found] == [
        "/content/0/text",
        "/content/2/resource/text",
        "/structuredContent/k",
    ]
    assert result["content"][0]["text"] == f"key {key}"  # the original is left alone


def test_upstream_params_drop_only_the_2026_envelope() -> None:
    params = {
        "name": "t",
        "_meta": {"progressToken": 7, "io.modelcontextprotocol/protocolVersion": "2026-07-28"},
    }
    assert upstream_params(params) == {"name": "t", "_meta": {"progressToken": 7}}
    assert upstream_params({"_meta": {"io.modelcontextprotocol/clientInfo": {}}}) == {}
    assert upstream_params(None) is None


def test_refusal_names_codes_and_decision() -> None:
    ruling = Ruling(Decision.DENY, "d1", (("path_outside_roots", "outside /data"),))
    result = refusal(ruling, "read_file", "Guardian denied read_file")
    assert result["isError"] is True
    assert "path_outside_roots: outside /data" in result["content"][0]["text"]
    assert result["_meta"]["guardian/decision"]["decision_id"] == "d1"


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("127.0.0.1:8080", "127.0.0.1", 8080),
        ("9000", "127.0.0.1", 9000),
        ("[::1]:7000", "::1", 7000),
        ("0.0.0.0:1", "0.0.0.0", 1),
    ],
)
def test_listen_parses(text: str, host: str, port: int) -> None:
    assert Listen.parse(text) == Listen(host, port)


@pytest.mark.parametrize("text", ["localhost", "127.0.0.1:0", "host:99999", "host:http"])
def test_listen_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="--listen"):
        Listen.parse(text)


def test_listing_hides_outright_denials_and_targets_follow_the_mapping() -> None:
    governor = ToolGovernor(LocalDecider(Guardian(POLICY)), Settings(server_name="fs"))
    listing = {
        "tools": [
            {"name": n, "inputSchema": {"type": "object"}}
            for n in ("read_file", "move_file", "delete_file", "unknown")
        ],
        "nextCursor": "c",
    }
    visible = governor.visible(listing)
    assert [t["name"] for t in visible["tools"]] == ["read_file", "move_file"]
    assert visible["nextCursor"] == "c"
    assert governor._target("read_file", {"path": "/data/a"}) == "/data/a"  # bare-name mapping
    assert governor._target("move_file", {"source": "/a", "destination": "/b"}) == "/a"
    assert governor._target("read_file", {"path": ["/a", "/b"]}) == '["/a","/b"]'
    assert governor._target("other", {"path": "/a"}) == ""


def test_example_filesystem_policy_hides_and_maps() -> None:
    from pathlib import Path

    example = Path(__file__).resolve().parents[3] / "examples" / "mcp-filesystem-policy.yaml"
    decider = LocalDecider(Guardian(example))
    assert decider.hides("agent", "read_multiple_files")
    assert decider.hides("agent", "some_new_tool")  # no rule: not listed
    assert not decider.hides("agent", "write_file")  # ASK: listed, held when called
    assert decider.target_param("move_file") == "source"
    assert decider.target_param("read_text_file") == "path"
    record = decider.guardian.decide(
        "agent", "read_text_file", "/etc/passwd", {"path": "/etc/passwd"}
    )
    assert record.decision is Decision.DENY and "path_outside_roots" in record.reason_codes
