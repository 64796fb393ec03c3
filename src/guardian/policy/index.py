"""The rule index: from (actor, action, target) to the few rules that could match, in rule order.

Rules are bucketed by their action pattern: an exact name goes to a dictionary, a wildcard pattern
goes under its literal prefix (`db.*` under `db.`, `*` under the empty prefix). A bucket that grows
large is split again on the actor, then the target. A lookup therefore touches one dictionary entry
per distinct prefix length instead of every rule, and only the candidates it returns are matched in
full (patterns, authority, condition), so evaluation cost is flat in the number of rules.

Targets are the most varied of the three names (one per file, URL, record), while most rules do
not restrict them: candidates are remembered per (actor, action) first, and only when one of them
restricts the target is the lookup (and its cache) per (actor, action, target).
"""

from __future__ import annotations

from collections.abc import Sequence

from guardian.policy.model import Rule
from guardian.policy.patterns import Pattern

_SPLIT_AT = 8
_FIELDS = ("action", "actor", "target")


class _Level:
    __slots__ = ("exact", "field", "prefix_lengths", "prefixes")

    def __init__(
        self, depth: int, orders: Sequence[int], rules: Sequence[Rule], fields: int = 3
    ) -> None:
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
        self.exact = {k: _bucket(depth + 1, v, rules, fields) for k, v in exact.items()}
        self.prefixes = {k: _bucket(depth + 1, v, rules, fields) for k, v in prefixes.items()}
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


def _bucket(
    depth: int, orders: list[int], rules: Sequence[Rule], fields: int
) -> tuple[int, ...] | _Level:
    unique = sorted(set(orders))
    if len(unique) > _SPLIT_AT and depth < fields:
        return _Level(depth, unique, rules, fields)
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
        self._by_names = _Level(0, range(len(self._rules)), self._rules, fields=2)
        self._any_target = frozenset(
            i for i, r in enumerate(self._rules) if any(p.source == "*" for p in r.target)
        )
        self._cache: dict[tuple[str, str, str], tuple[Rule, ...]] | None = {} if cache else None
        self._names_cache: dict[tuple[str, str], tuple[Rule, ...] | None] | None = (
            {} if cache else None
        )

    def candidates(self, actor: str, action: str, target: str) -> tuple[Rule, ...]:
        """The rules whose actor, action and target patterns all match, in policy order."""
        names = self._names_cache
        if names is not None:
            found = names.get((actor, action), False)
            if found is False:
                found = names[(actor, action)] = self._for_names(actor, action)
                if len(names) > CACHE_SIZE:
                    names.clear()
            if type(found) is tuple:  # (None: one of them restricts the target)
                return found
        cache = self._cache
        if cache is not None:
            hit = cache.get((actor, action, target))
            if hit is not None:
                return hit
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

    def _for_names(self, actor: str, action: str) -> tuple[Rule, ...] | None:
        """The rules matching `actor` and `action` if none of them restricts the target, else None."""
        out: list[int] = []
        self._by_names.collect((action, actor, ""), out)
        if len(out) > 1:
            out = sorted(set(out))
        rules, any_target = self._rules, self._any_target
        found = [
            i for i in out if _matches(rules[i].action, action) and _matches(rules[i].actor, actor)
        ]
        if not any_target.issuperset(found):
            return None
        return tuple(rules[i] for i in found)


def _matches(patterns: tuple[Pattern, ...], value: str) -> bool:
    for pattern in patterns:
        if pattern.matches(value):
            return True
    return False
