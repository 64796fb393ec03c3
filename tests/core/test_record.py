"""A decision payload's canonical bytes, spliced around the intent's, equal RFC 8785's."""

from __future__ import annotations

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from guardian.core.decision import Decision, Reason
from guardian.core.intent import Intent, check_size
from guardian.core.principal import Principal
from guardian.core.record import canonical_decision_payload, decision_payload
from guardian.testing import json_values

names = st.text(min_size=1, max_size=12)
params = st.dictionaries(st.text(max_size=6), json_values(), max_size=4)


@given(
    actor=names, action=names, target=st.text(max_size=12), params=params,
    message=st.text(max_size=20), decision=st.sampled_from(list(Decision)),
    links=st.sampled_from([None, {"proposal_id": "p-1"}, {"approval_id": "a-\U0001f600"}]),
)  # fmt: skip
def test_spliced_payload_is_rfc8785(
    actor: str, action: str, target: str, params: dict[str, object], message: str,
    decision: Decision, links: dict[str, str] | None,
) -> None:  # fmt: skip
    intent = Intent.create(actor, action, target, params, {"note": message}, "s-\uff5e", None)
    reasons = (Reason("rule_matched", message), Reason("x", "\U0001f600"))
    payload = decision_payload(
        "d-1", intent.to_dict(), "sha256:ab", decision, "r-1", reasons, "sha256:cd",
        Principal.for_agent(actor), links,
    )  # fmt: skip
    assert canonical_decision_payload(payload, check_size(intent)) == rfc8785.dumps(payload)
