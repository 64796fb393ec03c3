"""The rule index: from (actor, action, target) to the few rules that could match, in rule order.

Rules are bucketed by their action pattern: an exact name goes to a dictionary, a wildcard pattern
goes under its literal prefix (`db.*` under `db.`, `*` under the empty prefix). A bucket that grows
large is split again on the actor, then the target. A lookup therefore touches one dictionary entry
per distinct prefix length instead of every rule, and only the candidates it returns are matched in
full (patterns, authority, condition), so evaluation cost is flat in the number of rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from guardian.policy.model import Rule

_SPLIT_AT = 8
_FIELDS = ("action", "actor", "target")


class _Level:
    __slots__ = ("exact", "field", "prefix_lengths", "prefixes")

    def __init__(self, depth: int, orders: Sequence[int], rules: Sequence[Rule]) -> None:
        self.field = depth
        name = _FIELDS[depth]
        exact: dict[str, list[int]] = {}
        prefixes: dict[str, list[int]] = {}
        for order in orders:
            for pattern in getattr(rules[order], name):
                if pattern.exact is not None:
                    exact.setdefault(pattern.exact, []).append(order)
                else:
                    prefixes.setdefault(pattern.prefix, []).append(order)
        self.exact = {k: _bucket(depth + 1, v, rules) for k, v in exact.items()}
        self.prefixes = {k: _bucket(depth + 1, v, rules) for k, v in prefixes.items()}
        self.prefix_lengths = tuple(sorted({len(k) for k in prefixes}))

    def collect(self, values: tuple[str, str, str], out: list[int]) -> None:
        value = values[self.field]
        found = self.exact.get(value)
        if found is not None:
            _extend(found, values, out)
        for length in self.prefix_lengths:
            if length > len(value):
                break
            found = self.prefixes.get(value[:length])
            if found is not None:
                _extend(found, values, out)


def _bucket(depth: int, orders: list[int], rules: Sequence[Rule]) -> tuple[int, ...] | _Level:
    unique = sorted(set(orders))
    if len(unique) > _SPLIT_AT and depth < len(_FIELDS):
        return _Level(depth, unique, rules)
    return tuple(unique)


def _extend(found: tuple[int, ...] | _Level, values: tuple[str, str, str], out: list[int]) -> None:
    if isinstance(found, _Level):
        found.collect(values, out)
    else:
        out.extend(found)


#: Candidate lists remembered per (actor, action, target); agents repeat themselves, and a policy's
#: index never changes, so a lookup is computed once. Cleared whole when full (no LRU bookkeeping).
CACHE_SIZE = 65_536


class RuleIndex:
    def __init__(self, rules: Sequence[Rule], *, cache: bool = True) -> None:
        self._rules = tuple(rules)
        self._root = _Level(0, range(len(self._rules)), self._rules)
        self._cache: dict[tuple[str, str, str], tuple[Rule, ...]] | None = {} if cache else None

    def candidates(self, actor: str, action: str, target: str) -> tuple[Rule, ...]:
        """The rules whose actor, action and target patterns all match, in policy order."""
        cache = self._cache
        if cache is not None:
            found = cache.get((actor, action, target))
            if found is not None:
                return found
        out: list[int] = []
        self._root.collect((action, actor, target), out)
        if len(out) > 1:
            out = sorted(set(out))
        rules = self._rules
        # Pattern matching depends only on the three names, so it is done here, once per key,
        # and the cached tuple holds only the rules left for authority and conditions to decide.
        result = tuple(r for r in (rules[i] for i in out) if r.matches_names(actor, action, target))
        if cache is not None:
            if len(cache) >= CACHE_SIZE:
                cache.clear()
            cache[(actor, action, target)] = result
        return result
