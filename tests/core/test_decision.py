import pytest

from guardian.core.decision import Decision, strictest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ALLOW", Decision.ALLOW),
        ("allow", Decision.ALLOW),
        (" Deny ", Decision.DENY),
        ("BLOCK", Decision.DENY),
        ("require_approval", Decision.ASK),
        ("ESCALATE", Decision.ASK),
        ("ask", Decision.ASK),
    ],
)
def test_aliases(text: str, expected: Decision) -> None:
    assert Decision.parse(text) is expected


@pytest.mark.parametrize("text", ["maybe", "", "ALLOWED", 1, None])
def test_unknown_effects_are_errors(text: object) -> None:
    with pytest.raises(ValueError, match="expected one of"):
        Decision.parse(text)  # type: ignore[arg-type]


def test_strictness_order() -> None:
    assert strictest(Decision.ALLOW, Decision.ASK) is Decision.ASK
    assert strictest(Decision.DENY, Decision.ASK, Decision.ALLOW) is Decision.DENY
    assert Decision.ALLOW == "ALLOW"
