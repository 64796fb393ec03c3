"""`guardian serve`: the HTTP API and dashboard on uvicorn, bound to 127.0.0.1:8700 by default."""

from __future__ import annotations

import typer

from guardian.cli.output import ExitCode, fail, stderr
from guardian.core.errors import GuardianError
from guardian.server.settings import DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT


def serve(
    host: str = typer.Option(
        DEFAULT_HOST,
        "--host",
        envvar="GUARDIAN_HOST",
        help="address to bind; the default serves this machine only",
    ),
    port: int = typer.Option(DEFAULT_PORT, "--port", envvar="GUARDIAN_PORT", min=0, max=65535),
    policy: str | None = typer.Option(
        None,
        "--policy",
        envvar="GUARDIAN_POLICY",
        help="policy file (default: the packaged example)",
    ),
    database: str | None = typer.Option(
        None,
        "--database",
        help="database URL (default: GUARDIAN_DATABASE_URL or .guardian/guardian.db)",
    ),
    hooks: list[str] = typer.Option(
        [], "--hooks", help="module to import for guardian.hooks.register (repeatable)"
    ),
    max_body_bytes: int = typer.Option(DEFAULT_MAX_BODY_BYTES, "--max-body-bytes", min=1024),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="mark the dashboard cookie Secure (behind HTTPS)"
    ),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """Serve the API (/v1, /docs), the approval dashboard (/) and /metrics."""
    import uvicorn

    from guardian.server.app import create_app
    from guardian.server.settings import ServerSettings

    settings = ServerSettings.from_env(
        host=host, port=port, policy=policy, database_url=database, max_body_bytes=max_body_bytes,
        secure_cookies=secure_cookies or None, hooks=tuple(hooks) or None,
    )  # fmt: skip
    try:
        app = create_app(settings)
    except GuardianError as exc:
        fail(str(exc), ExitCode.USAGE)
    if host not in ("127.0.0.1", "localhost", "::1"):
        stderr.print(
            f"[yellow]warning:[/] serving on {host}: put TLS in front of it", highlight=False
        )
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False,
                server_header=False, timeout_graceful_shutdown=5)  # fmt: skip
