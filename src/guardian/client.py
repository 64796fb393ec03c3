"""`GuardianClient`: the HTTP API from Python, one method per endpoint.

    client = GuardianClient("http://127.0.0.1:8700", token)
    record = client.decide("send_email", "someone@example.org", {"subject": "hi"})
    if record["decision"] == "ASK":
        proposal = client.wait_for_approval(record["proposal_id"], timeout=600)

Errors come back as `ApiError` carrying the server's `{"error": {code, message, details}}`.
`wait_for_approval` long-polls and survives a server restart: it reconnects until its deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from guardian.core.errors import GuardianError

MAX_POLL_SECONDS = 30.0


class ApiError(GuardianError):
    """A request the server refused (or could not be reached for: status 0)."""

    code = "api_error"

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    @property
    def flag(self) -> str | None:
        """The ledger flag of a refused approval or impersonation attempt, if any."""
        return self.details.get("flag") if isinstance(self.details, dict) else None


class GuardianClient:
    def __init__(self, url: str, token: str, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:  # fmt: skip
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url, timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )  # fmt: skip

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GuardianClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, *, json: Any = None,
              params: dict[str, Any] | None = None, timeout: float | None = None) -> Any:  # fmt: skip
        extra: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        try:
            response = self._http.request(method, path, json=json, params=params, **extra)
        except httpx.HTTPError as exc:
            raise ApiError(0, "unreachable", f"{method} {self.url}{path}: {exc}") from exc
        if response.status_code >= 400:
            raise _error(response)
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    # -- agents ---------------------------------------------------------------------------------

    def decide(self, action: str, target: str = "", params: dict[str, Any] | None = None,
               metadata: dict[str, Any] | None = None, *, session_id: str | None = None,
               task_id: str | None = None, authority: int | None = None) -> dict[str, Any]:  # fmt: skip
        """Decide an intent as the token's agent; the DecisionRecord as a dict."""
        body: dict[str, Any] = {"action": action, "target": target, "params": params or {},
                                "metadata": metadata or {}, "session_id": session_id,
                                "task_id": task_id}  # fmt: skip
        if authority is not None:
            body["authority"] = authority
        result: dict[str, Any] = self._call("POST", "/v1/decide", json=body)
        return result

    def decision(self, decision_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/v1/decisions/{decision_id}")
        return result

    def record_receipt(self, decision_id: str, status: str = "success", output: Any = None, *,
                       started_at: str | None = None, finished_at: str | None = None,
                       error_type: str | None = None,
                       redactions: list[dict[str, str]] | None = None) -> dict[str, Any]:  # fmt: skip
        body = {"decision_id": decision_id, "status": status, "output": output,
                "started_at": started_at, "finished_at": finished_at, "error_type": error_type,
                "redactions": redactions or []}  # fmt: skip
        result: dict[str, Any] = self._call("POST", "/v1/receipts", json=body)
        return result

    # -- proposals ------------------------------------------------------------------------------

    def proposals(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit}
        if status is not None:
            params["status"] = status
        result: list[dict[str, Any]] = self._call("GET", "/v1/proposals", params=params)[
            "proposals"
        ]
        return result

    def proposal(self, proposal_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/v1/proposals/{proposal_id}")
        return result

    def approve(self, proposal_id: str, reason: str = "", *, grant_hours: float | None = None,
                grant_target: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Approve; with `grant_hours`, also grant the same actor + action on `grant_target`."""
        body: dict[str, Any] = {"reason": reason}
        if grant_hours is not None:
            body["grant"] = {"hours": grant_hours, "target": grant_target}
        result: dict[str, Any] = self._call(
            "POST", f"/v1/proposals/{proposal_id}/approve", json=body
        )
        return result

    def reject(self, proposal_id: str, reason: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/v1/proposals/{proposal_id}/reject",
                                            json={"reason": reason})  # fmt: skip
        return result

    def wait_for_approval(self, proposal_id: str, timeout: float) -> dict[str, Any]:
        """Long-poll until the proposal is no longer pending or `timeout` seconds pass; return it.

        Connection failures (a server restarting) are retried with backoff until the deadline;
        refusals (401, 403, 404) are raised at once.
        """
        deadline = time.monotonic() + timeout
        backoff = 0.1
        last: dict[str, Any] | None = None
        while True:
            remaining = deadline - time.monotonic()
            try:
                poll = max(0.0, min(remaining, MAX_POLL_SECONDS))
                last = self._call("GET", f"/v1/proposals/{proposal_id}/wait",
                                  params={"timeout": round(poll, 3)}, timeout=poll + 10)  # fmt: skip
                backoff = 0.1
            except ApiError as exc:
                if exc.status not in (0, 502, 503, 504) or remaining <= 0:
                    raise
                time.sleep(min(backoff, max(remaining, 0)))
                backoff = min(backoff * 2, 2.0)
                continue
            assert last is not None
            if last["status"] != "pending" or deadline - time.monotonic() <= 0:
                return last

    # -- grants, ledger, sessions, events ------------------------------------------------------

    def grants(self, include_inactive: bool = False) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(
            "GET", "/v1/grants", params={"include_inactive": include_inactive}
        )["grants"]
        return result

    def revoke_grant(self, grant_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("DELETE", f"/v1/grants/{grant_id}")
        return result

    def verify_ledger(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/v1/ledger/verify")
        return result

    def ledger_entries(self, after: int = 0, limit: int = 100,
                       kind: str | None = None) -> dict[str, Any]:  # fmt: skip
        params: dict[str, Any] = {"after": after, "limit": limit}
        if kind:
            params["kind"] = kind
        result: dict[str, Any] = self._call("GET", "/v1/ledger/entries", params=params)
        return result

    def session_bundle(self, session_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/v1/sessions/{session_id}/bundle")
        return result

    def healthz(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/healthz")
        return result

    def events(
        self, after: int | None = None, kinds: list[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Ledger events as they happen (each: seq, kind, ts, payload, hashes), from `after`."""
        import orjson

        params: dict[str, Any] = {}
        if after is not None:
            params["after"] = after
        if kinds:
            params["kinds"] = ",".join(kinds)
        with self._http.stream("GET", "/v1/events", params=params, timeout=None) as response:
            if response.status_code >= 400:
                response.read()
                raise _error(response)
            for line in response.iter_lines():
                if line.startswith("data: "):
                    yield orjson.loads(line[6:])


def _error(response: httpx.Response) -> ApiError:
    try:
        error = response.json()["error"]
        return ApiError(response.status_code, error["code"], error["message"], error.get("details"))
    except (ValueError, KeyError, TypeError):
        return ApiError(response.status_code, "http_error", response.text[:500])
