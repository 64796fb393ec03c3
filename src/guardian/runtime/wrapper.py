"""`GuardianWrapper`, seed 000's base class: subclass it, implement `_execute_action`, and every
`request_action` goes through the guard first. DENY and ASK raise (both are PermissionError)."""

from __future__ import annotations

from typing import Any

from guardian.core.ids import new_id
from guardian.facade import Guardian, PolicySource
from guardian.runtime.execution import Execution


class GuardianWrapper:
    def __init__(self, guardian: Guardian | None = None, *, agent_id: str = "agent",
                 policy: PolicySource | None = None, session_id: str | None = None) -> None:  # fmt: skip
        self.guardian = guardian if guardian is not None else Guardian(policy, agent_id=agent_id)
        self.agent_id = agent_id
        self.session_id = session_id or new_id()

    def _execute_action(self, action: str, params: dict[str, Any]) -> Any:
        raise NotImplementedError("subclasses implement _execute_action(action, params)")

    def request_action(self, action: str, params: dict[str, Any] | None = None,
                       target: str | None = None) -> Any:  # fmt: skip
        """Decide, then execute only on ALLOW; the result comes back redacted, with a receipt."""
        params = dict(params or {})
        if target is None:
            name = self.guardian.policy.target_param(action)
            target = str(params.get(name, "")) if name else ""
        record = self.guardian.authorize(action, target, params, actor=self.agent_id,
                                         session_id=self.session_id)  # fmt: skip
        execution = Execution(self.guardian, record)
        try:
            result = self._execute_action(action, params)
        except BaseException as exc:
            execution.fail(exc)
            raise
        return execution.finish(result)

    def export_audit_bundle(self) -> dict[str, Any]:
        """This wrapper's session as a bundle: its decisions and outcomes with their ledger hashes."""
        from guardian.governance.sessions import session_bundle

        return session_bundle(self.guardian, self.session_id, self.agent_id).to_dict()
