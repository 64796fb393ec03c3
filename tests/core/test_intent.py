import math

import pytest

from guardian.core.errors import IntentError
from guardian.core.intent import MAX_INTENT_BYTES, Intent, check_size


def test_tuples_become_lists_and_hash_covers_params() -> None:
    a = Intent.create("a", "act", "t", {"xs": (1, 2), "n": {"k": "v"}})
    b = Intent.create("a", "act", "t", {"xs": [1, 2], "n": {"k": "w"}})
    assert a.params["xs"] == [1, 2]
    assert a.intent_hash != b.intent_hash


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"when": object()}, "params.when"),
        ({"n": {"deep": {1, 2}}}, "params.n.deep"),
        ({"f": math.nan}, "params.f"),
        ({"f": math.inf}, "params.f"),
        ({"big": 2**60}, "params.big"),
        ({1: "x"}, "params"),
        ({"b": b"bytes"}, "params.b"),
    ],
)
def test_non_json_values_are_refused_with_their_path(params: dict, where: str) -> None:
    with pytest.raises(IntentError, match=where.replace(".", r"\.")):
        Intent.create("a", "act", "t", params)


@pytest.mark.parametrize("bad", [None, "", 3])
def test_actor_and_action_must_be_names(bad: object) -> None:
    with pytest.raises(IntentError, match="actor"):
        Intent.create(bad, "act")  # type: ignore[arg-type]
    with pytest.raises(IntentError, match="action"):
        Intent.create("a", bad)  # type: ignore[arg-type]


def test_params_must_be_a_mapping() -> None:
    with pytest.raises(IntentError, match="params: expected an object"):
        Intent.create("a", "act", params=["x"])  # type: ignore[arg-type]


def test_one_megabyte_param_is_accepted_but_over_the_limit_is_not() -> None:
    big = Intent.create("a", "act", params={"blob": "x" * 1_000_000})
    assert len(check_size(big)) > 1_000_000
    huge = Intent.create("a", "act", params={"blob": "x" * (MAX_INTENT_BYTES + 1)})
    with pytest.raises(IntentError, match="limit"):
        check_size(huge)


def test_deep_nesting_is_refused() -> None:
    value: dict = {}
    cursor = value
    for _ in range(100):
        cursor["n"] = {}
        cursor = cursor["n"]
    with pytest.raises(IntentError, match="nested deeper"):
        Intent.create("a", "act", params=value)


def test_unicode_names_are_fine() -> None:
    intent = Intent.create("агент", "отправить", "цель ✉", {"ключ": "値"})
    assert intent.actor == "агент"
    assert intent.intent_hash.startswith("sha256:")
