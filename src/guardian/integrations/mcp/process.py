"""The governed server's process, its stdin and stdout as the SDK's message streams.

In place of the SDK's `stdio_client` (see wire.py for why): the same lifecycle, as the MCP spec
asks and the SDK does it. The server runs in a process group of its own and inherits the proxy's
stderr; at the end its stdin is closed, it gets two seconds to exit, then its whole group is sent
SIGTERM and, two seconds later, SIGKILL. Its stdout is drained meanwhile, so a server blocked
writing can still exit.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress

import anyio
import anyio.abc
from mcp.os.posix.utilities import terminate_posix_process_tree

from guardian.integrations.mcp.wire import MessageReader, MessageWriter

EXIT_GRACE = 2.0  # seconds the server has to exit once its stdin is closed
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL (and to reap it after that)
_POLL = 0.01


class ProcessOutput(MessageReader):
    def __init__(self, stdout: anyio.abc.ByteReceiveStream) -> None:
        super().__init__()
        self._stdout = stdout

    async def _read(self) -> bytes:
        try:
            return await self._stdout.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            return b""


class ProcessInput(MessageWriter):
    def __init__(self, stdin: anyio.abc.ByteSendStream) -> None:
        self._stdin = stdin

    async def _write(self, data: bytes) -> None:
        try:
            await self._stdin.send(data)
        except OSError:  # the server has gone: the dispatcher reports CONNECTION_CLOSED
            raise anyio.BrokenResourceError from None


@asynccontextmanager
async def server_process(command: Sequence[str], env: Mapping[str, str], cwd: str | None
                         ) -> AsyncIterator[tuple[ProcessOutput, ProcessInput]]:  # fmt: skip
    """Start the server (OSError if it cannot be); stop it and its descendants on exit."""
    process = await anyio.open_process(list(command), env=dict(env), cwd=cwd,
                                       stderr=sys.stderr, start_new_session=True)  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    try:
        yield ProcessOutput(process.stdout), ProcessInput(process.stdin)
    finally:
        with anyio.CancelScope(shield=True):
            await _stop(process)


async def _stop(process: anyio.abc.Process) -> None:
    assert process.stdin is not None and process.stdout is not None
    stdout = process.stdout
    async with anyio.create_task_group() as tg:

        async def drain() -> None:
            with suppress(Exception):
                while await stdout.receive():
                    pass

        tg.start_soon(drain)
        with suppress(Exception):
            await process.stdin.aclose()
        if not await _exited(process, EXIT_GRACE):
            if sys.platform == "win32":  # pragma: no cover - no process groups there
                process.kill()
            else:
                await terminate_posix_process_tree(process, KILL_GRACE)
            await _exited(process, KILL_GRACE)
        tg.cancel_scope.cancel()
    with anyio.move_on_after(KILL_GRACE), suppress(Exception):
        await process.aclose()  # its pipes and transport; bounded: a descendant may hold them


async def _exited(process: anyio.abc.Process, timeout: float) -> bool:
    """Whether the process exited in time; polled, since `wait()` also waits for its pipes to close
    (which a surviving descendant can keep open)."""
    with anyio.move_on_after(timeout):
        while process.returncode is None:
            await anyio.sleep(_POLL)
        return True
    return False
