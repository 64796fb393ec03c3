"""Property-based API test: schemathesis generates requests from /openapi.json (admin token).

Checks: no 5xx, documented status codes and content types, bodies that match their schemas. The
event stream never ends, so it is left out; long-polls are capped at 0.2 s. Bounded (examples per
operation) to stay well under two minutes on two shared cores. The operations are driven from one
test (schemathesis' lazy pytest fixture loader does not work with pytest 9).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from guardian.server.app import create_app

from .conftest import Env, make_env

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = 40


def _seed(client: TestClient, env: Env) -> dict[str, list[str]]:
    """Real resources, so generated requests also reach existing objects (not only 404s)."""
    known: dict[str, list[str]] = {"decision_id": [], "proposal_id": [], "grant_id": [],
                                   "session_id": ["s1"]}  # fmt: skip
    for n in range(6):
        body = {"action": "read_file", "target": f"docs/{n}", "session_id": "s1"}
        known["decision_id"].append(client.post("/v1/decide", json=body, headers=env.auth("bot"))
                                    .json()["decision_id"])  # fmt: skip
        asked = client.post("/v1/decide", json={"action": "send_email", "target": f"{n}@x.org"},
                            headers=env.auth("bot")).json()  # fmt: skip
        known["proposal_id"].append(asked["proposal_id"])
    approved = client.post(f"/v1/proposals/{known['proposal_id'][0]}/approve",
                           json={"grant": {"hours": 1, "target": "*@y.org"}},
                           headers=env.auth("alice")).json()  # fmt: skip
    known["grant_id"].append(approved["grant"]["id"])
    return known


def _run(operation: Any, auth: dict[str, str], known: dict[str, list[str]]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def check(case: Any) -> None:
        if case.path.endswith("/wait") and isinstance(case.query, dict):
            case.query["timeout"] = 0.2
        for name, value in dict(case.path_parameters or {}).items():
            ids = known.get(name)
            if ids and len(str(value)) % 2 == 0:  # about half the cases hit a real object
                case.path_parameters[name] = ids[len(str(value)) % len(ids)]
        if isinstance(case.body, dict) and "decision_id" in case.body and len(case.body) % 2:
            case.body["decision_id"] = known["decision_id"][len(case.body) % 6]
        case.call_and_validate(headers=auth, checks=CHECKS)

    check()


@pytest.mark.slow
def test_api_conforms_to_its_schema(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    auth = env.auth("root")
    app = create_app(env.settings())
    known = _seed(TestClient(app), env)  # no lifespan: closing it would close the ledger
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failed: list[str] = []
    for operation in operations:
        if operation.path == "/v1/events":
            continue
        try:
            _run(operation, auth, known)
        except Exception as exc:  # collect every operation's failure, then report them all
            failed.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failed, "\n\n".join(failed)
