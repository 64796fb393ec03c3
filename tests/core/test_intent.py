import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardian.core.canonical import canonical_json
from guardian.core.errors import IntentError
from guardian.core.intent import (
    MAX_INTENT_BYTES,
    Intent,
    _json_object,
    check_size,
    sized_canonical,
)


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


# -- the fast path of `Intent.create` (flat params, no metadata) against the general one ----------

flat_values = (
    st.none() | st.booleans() | st.text(max_size=4) | st.integers(-(2**54), 2**54)
    | st.floats(allow_nan=True) | st.lists(st.integers(), max_size=2)
)  # fmt: skip
some_params = (
    st.none() | st.dictionaries(st.text(max_size=4), flat_values, max_size=4) | st.just({1: "x"})
)


def general(params: Any, metadata: Any) -> Intent:
    """What `create` returns by the general path alone (or the IntentError it raises)."""
    floats: list[bool] = []
    clean = _json_object("params", params, floats)
    meta = _json_object("metadata", metadata, floats)
    return Intent("a", "act", "t", clean, meta, None, None, bool(floats))


@given(params=some_params, metadata=st.none() | st.just({"k": 1.5}))
def test_create_equals_the_general_path(params: Any, metadata: Any) -> None:
    try:
        expected: Intent | str = general(params, metadata)
    except IntentError as exc:
        expected = str(exc)
    try:
        got: Intent | str = Intent.create("a", "act", "t", params, metadata)
    except IntentError as exc:
        got = str(exc)
    assert got == expected
    if isinstance(got, Intent):
        assert type(got.params) is dict and got.params is not params
        assert check_size(got) == canonical_json(got.to_dict())


def test_sized_canonical_is_to_dict_and_check_size() -> None:
    intent = Intent.create("a", "act", "t", {"x": 1.25, "s": "\U0001f600"}, {"m": [1]}, "s", "t")
    as_dict, data = sized_canonical(intent)
    assert as_dict == intent.to_dict() and data == check_size(intent) == intent.canonical()


class Name(str):
    """A str subclass: accepted, as before, by the full checks the fast ones fall back to."""


def test_str_subclasses_and_field_order_of_errors() -> None:
    assert Intent.create(Name("a"), Name("act")).actor == "a"
    with pytest.raises(IntentError, match=r"^actor"):
        Intent.create("", 3, None, ["x"])  # type: ignore[arg-type]
    with pytest.raises(IntentError, match=r"^session_id"):
        Intent.create("a", "act", None, ["x"], None, 3)  # type: ignore[arg-type]
