"""Tool results the proxy writes itself (refusals, failures) and the redaction of forwarded ones.

A refusal is an ordinary `CallToolResult` with `isError: true`, not a JSON-RPC error: the model
reading it should learn why the call did not happen and can adapt, as with any failing tool. The
same facts are in `_meta["guardian/decision"]` for programs.
"""

from __future__ import annotations

from typing import Any

from guardian.integrations.mcp.decider import Ruling
from guardian.runtime.execution import redacted

META_KEY = "guardian/decision"


def tool_error(text: str, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """A `CallToolResult` carrying one text block and `isError: true`."""
    result: dict[str, Any] = {"content": [{"type": "text", "text": text}], "isError": True}
    if meta:
        result["_meta"] = {META_KEY: meta}
    return result


def decision_meta(ruling: Ruling, action: str, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "decision": ruling.decision.value, "decision_id": ruling.decision_id, "action": action,
        "reasons": [{"code": code, "message": message} for code, message in ruling.reasons],
    }  # fmt: skip
    if ruling.proposal_id:
        meta["proposal_id"] = ruling.proposal_id
    meta.update(extra)
    return meta


def reasons_text(ruling: Ruling) -> str:
    """The reasons, without "the rule allowed it" when something else (an analyzer) did not."""
    shown = [(c, m) for c, m in ruling.reasons if c != "rule_allow"] or list(ruling.reasons)
    return "; ".join(f"{code}: {message}" for code, message in shown) or "no reason given"


def refusal(ruling: Ruling, action: str, headline: str, **extra: Any) -> dict[str, Any]:
    """The result for a call Guardian did not let through; names every reason code."""
    text = f"{headline} ({reasons_text(ruling)}). Decision {ruling.decision_id}."
    return tool_error(text, decision_meta(ruling, action, **extra))


def redact_result(result: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The result with secrets and PII removed from its text, and which fields were touched.

    Only text is scanned (text blocks, embedded text resources, structured content): images and
    audio are base64 data a text detector would only mangle.
    """
    clean = dict(result)
    found: list[dict[str, str]] = []
    content = result.get("content")
    if isinstance(content, list):
        clean["content"] = [
            _block(block, f"/content/{i}", found) if isinstance(block, dict) else block
            for i, block in enumerate(content)
        ]
    if result.get("structuredContent") is not None:
        clean["structuredContent"] = _scan(result["structuredContent"], "/structuredContent", found)
    return clean, found


def _block(block: dict[str, Any], path: str, found: list[dict[str, str]]) -> dict[str, Any]:
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str):
        return {**block, "text": _scan(block["text"], f"{path}/text", found)}
    resource = block.get("resource")
    if kind == "resource" and isinstance(resource, dict) and isinstance(resource.get("text"), str):
        text = _scan(resource["text"], f"{path}/resource/text", found)
        return {**block, "resource": {**resource, "text": text}}
    return block


def _scan(value: Any, path: str, found: list[dict[str, str]]) -> Any:
    clean, redactions = redacted(value)
    found.extend({"path": path + r["path"], "code": r["code"]} for r in redactions)
    return clean
