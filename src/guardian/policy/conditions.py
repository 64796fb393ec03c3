"""`when` conditions: CEL, compiled once at load, run only on candidate rules.

Seed 003 writes conditions with AND / OR / NOT; those words are rewritten to CEL's operators outside
string literals before compiling, so both spellings load.
"""

from __future__ import annotations

import re
import sys
import types
from dataclasses import dataclass
from typing import Any

# The `cel` package imports its interactive REPL (`cel.cli`, which pulls in prompt_toolkit) on import:
# ~0.5 s added to every `guardian` process. We never use the REPL, so it is stood in for by an empty
# module before the package is imported. The compiled evaluator is untouched.
sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli"))
import cel  # noqa: E402

#: The names a condition may use. Anything else is a load error, not a runtime surprise.
INTENT_VARIABLES = frozenset({"intent", "params", "metadata", "principal"})

_WORD_OPERATORS = {"AND": "&&", "OR": "||", "NOT": "!"}
_TOKENS = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|\b(AND|OR|NOT)\b""")


class ConditionError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Condition:
    source: str
    program: Any
    #: The variables the expression reads: only these are handed to CEL, because converting the
    #: whole context (intent, params, metadata, principal) costs several times the evaluation.
    variables: tuple[str, ...] = tuple(INTENT_VARIABLES)

    def evaluate(self, context: dict[str, Any]) -> bool:
        """True or False; anything else (an error, a non-boolean) raises ConditionError."""
        try:
            result = self.program.execute({name: context[name] for name in self.variables})
        except Exception as exc:  # the CEL runtime raises several types; all mean "cannot decide"
            raise ConditionError(f"{type(exc).__name__}: {exc}") from None
        if not isinstance(result, bool):
            raise ConditionError(f"condition returned {type(result).__name__}, expected a boolean")
        return result


def compile_condition(source: object, variables: frozenset[str] = INTENT_VARIABLES) -> Condition:
    if not isinstance(source, str):
        raise ConditionError(f"expected a CEL expression string, got {type(source).__name__}")
    if not source.strip():
        raise ConditionError("empty condition")
    text = _TOKENS.sub(lambda m: m.group(1) or _WORD_OPERATORS[m.group(2)], source)
    try:
        program = cel.compile(text)
    except Exception as exc:
        raise ConditionError(f"does not compile: {_first_line(exc)}") from None
    used = set(program.references()["variables"])
    unknown = sorted(used - variables)
    if unknown:
        raise ConditionError(
            f"unknown variable(s) {', '.join(unknown)}; available: {', '.join(sorted(variables))}"
        )
    return Condition(source, program, tuple(sorted(used)))


def _first_line(exc: Exception) -> str:
    text = str(exc)
    return text.split("| ")[0].strip() or type(exc).__name__
