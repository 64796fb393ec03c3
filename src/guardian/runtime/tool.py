"""`@g.tool`: a plain or async function whose every call is decided first and runs only on ALLOW.

The call becomes an intent: action = the function's name (or the one given), params = the bound
arguments (defaults applied), target = the named argument, or what a callable returns for the
params, or the policy's `tools:` mapping for the action. DENY raises Denied, ASK raises
ApprovalRequired; after an allowed call the result is redacted and a receipt recorded.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from guardian.runtime.execution import Execution

if TYPE_CHECKING:
    from guardian.facade import Guardian

F = TypeVar("F", bound=Callable[..., Any])
TargetSpec = str | Callable[[dict[str, Any]], Any] | None


def governed(guardian: Guardian, *, action: str | None = None, target: TargetSpec = None,
             actor: str | None = None) -> Callable[[F], F]:  # fmt: skip
    def decorate(fn: F) -> F:
        name = action or fn.__name__
        signature = inspect.signature(fn)

        def start(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Execution:
            params = _params(signature, args, kwargs)
            record = guardian.authorize(name, _target(guardian, name, target, params), params,
                                        actor=actor)  # fmt: skip
            return Execution(guardian, record)

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                execution = start(args, kwargs)
                try:
                    result = await fn(*args, **kwargs)
                except BaseException as exc:
                    execution.fail(exc)
                    raise
                return execution.finish(result)

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            execution = start(args, kwargs)
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                execution.fail(exc)
                raise
            return execution.finish(result)

        return run  # type: ignore[return-value]

    return decorate


def _params(
    signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    params: dict[str, Any] = {}
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if name in ("self", "cls"):
            continue
        if kind is inspect.Parameter.VAR_KEYWORD:
            params.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            params[name] = list(value)
        else:
            params[name] = value
    return params


def _target(guardian: Guardian, action: str, spec: TargetSpec, params: dict[str, Any]) -> str:
    if callable(spec):
        value = spec(params)
    else:
        name = spec if spec is not None else guardian.policy.target_param(action)
        value = params.get(name, "") if name is not None else ""
    return value if isinstance(value, str) else str(value)
