"""What can stop the proxy, each with a message that names the server and what happened."""

from __future__ import annotations

from guardian.core.errors import GuardianError


class UpstreamError(GuardianError):
    """The MCP server could not be started, or did not complete the handshake."""

    code = "mcp_server_failed"


class UpstreamExited(GuardianError):
    """The MCP server stopped while the proxy was serving: in-flight calls got error results."""

    code = "mcp_server_exited"

    def __init__(self, label: str) -> None:
        super().__init__(
            f"the MCP server `{label}` exited (see its own messages above); calls in flight "
            "were answered with an error and their receipts recorded; the proxy stops too"
        )
        self.label = label
