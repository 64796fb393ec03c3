"""Who may call what: the one table every request is checked against (docs/server.md prints it).

Keys are (method, route path). `roles` may call the route with a bearer token; a role in `own` sees
only its own resources there (another actor's is a 404, so ids are not probed). `public` routes need
no credential; `session` routes are the dashboard's, reached with the sign-in cookie of an approver
or admin. `create_app` refuses to start if any route lacks an entry, and a test enumerates the
routes, so a new route cannot ship without a rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardian.governance.tokens import ROLES


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[str] = frozenset()
    own: frozenset[str] = frozenset()
    public: bool = False
    session: bool = False
    #: The API docs also open with a dashboard sign-in (a browser cannot send a bearer token).
    session_too: bool = False
    note: str = ""


def _r(*roles: str, own: tuple[str, ...] = (), note: str = "") -> Rule:
    return Rule(frozenset(roles), frozenset(own), note=note)


PUBLIC = Rule(public=True)
DASHBOARD = Rule(frozenset({"approver", "admin"}), session=True)
ALL = tuple(ROLES)
READERS = ("approver", "guardian", "admin")

ACCESS: dict[tuple[str, str], Rule] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): _r("guardian", "admin"),
    ("GET", "/openapi.json"): Rule(frozenset(ALL), session_too=True),
    ("GET", "/docs"): Rule(frozenset(ALL), session_too=True),
    ("POST", "/v1/decide"): _r(
        "agent", "guardian", "admin", note="as itself: the actor is the token's agent"
    ),
    ("GET", "/v1/decisions/{decision_id}"): _r(*ALL, own=("agent",)),
    ("POST", "/v1/receipts"): _r("agent", "guardian", "admin", own=("agent", "guardian")),
    ("GET", "/v1/proposals"): _r(*ALL, own=("agent",)),
    ("GET", "/v1/proposals/{proposal_id}"): _r(*ALL, own=("agent",)),
    ("GET", "/v1/proposals/{proposal_id}/wait"): _r(*ALL, own=("agent",)),
    ("POST", "/v1/proposals/{proposal_id}/approve"): _r(
        *ALL, note="only approver and admin succeed; others get 403, recorded with a flag"
    ),
    ("POST", "/v1/proposals/{proposal_id}/reject"): _r(
        *ALL, note="only approver and admin succeed; others get 403, recorded with a flag"
    ),
    ("GET", "/v1/ledger/verify"): _r(*READERS),
    ("GET", "/v1/ledger/entries"): _r(*READERS),
    ("GET", "/v1/sessions/{session_id}/bundle"): _r(*ALL, own=("agent",)),
    ("GET", "/v1/events"): _r(*READERS),
    ("GET", "/v1/grants"): _r(*READERS),
    ("DELETE", "/v1/grants/{grant_id}"): _r(*READERS),
    # The dashboard: sign-in pages and assets are public; everything else needs the cookie.
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): DASHBOARD,
    ("GET", "/"): DASHBOARD,
    ("GET", "/decisions"): DASHBOARD,
    ("GET", "/agents"): DASHBOARD,
    ("GET", "/ledger"): DASHBOARD,
    ("POST", "/ledger/verify"): DASHBOARD,
    ("GET", "/proposals/{proposal_id}"): DASHBOARD,
    ("POST", "/proposals/{proposal_id}/approve"): DASHBOARD,
    ("POST", "/proposals/{proposal_id}/reject"): DASHBOARD,
    ("GET", "/events"): DASHBOARD,
    ("GET", "/static"): PUBLIC,
}


def rule_for(method: str, path: str) -> Rule | None:
    return ACCESS.get(("GET" if method == "HEAD" else method, path))
