"""The fast canonical path must produce exactly RFC 8785's bytes."""

import rfc8785
from hypothesis import given

from guardian.core.canonical import canonical_json, contains_float, content_hash
from guardian.testing import json_values


@given(json_values(width=4, max_leaves=20))
def test_fast_path_equals_rfc8785(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def test_astral_keys_sort_by_utf16_code_units() -> None:
    # U+1F600 sorts before U+FF5E in UTF-16 but after it in code points.
    value = {"\uff5e": 1, "\U0001f600": 2}
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json(value).index("😀".encode()) < canonical_json(value).index("～".encode())


def test_integral_float_is_written_as_integer() -> None:
    assert canonical_json({"a": 1.0}) == b'{"a":1}'
    assert contains_float([{"x": [1.5]}])


def test_content_hash_is_order_independent() -> None:
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})
    assert content_hash({"a": 1}).startswith("sha256:")


def test_integral_floats_beyond_2_53_survive_a_json_round_trip() -> None:
    import orjson

    value = {"big": 1e20, "small": 0.5}
    encoded = canonical_json(value)
    assert encoded == b'{"big":100000000000000000000,"small":0.5}'
    assert canonical_json(orjson.loads(encoded)) == encoded
