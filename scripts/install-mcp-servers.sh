#!/usr/bin/env bash
# Install the third-party MCP servers and client the MCP proxy tests and bench run against:
#   .mcp-servers/node_modules: @modelcontextprotocol/server-filesystem, server-everything (resources,
#     prompts, progress), @modelcontextprotocol/inspector
#   the project venv: mcp-server-time
# Idempotent: a second run only checks what is there (well under a second).
# Without npm it installs the Python part and says what it skipped; the tests then skip (or fail
# when CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never

DIR=.mcp-servers
FS_VERSION=2026.8.31
INSPECTOR_VERSION=0.15.0
EVERYTHING_VERSION=2026.8.31
TIME_SPEC="mcp-server-time>=2025.1"
PY=${PYTHON:-.venv/bin/python}

node_ok() {
  [ -f "$DIR/node_modules/@modelcontextprotocol/server-filesystem/package.json" ] &&
    [ -f "$DIR/node_modules/@modelcontextprotocol/inspector/package.json" ] &&
    [ -f "$DIR/node_modules/@modelcontextprotocol/server-everything/package.json" ] &&
    grep -q "\"version\": \"$EVERYTHING_VERSION\"" "$DIR/node_modules/@modelcontextprotocol/server-everything/package.json" &&
    grep -q "\"version\": \"$FS_VERSION\"" "$DIR/node_modules/@modelcontextprotocol/server-filesystem/package.json" &&
    grep -q "\"version\": \"$INSPECTOR_VERSION\"" "$DIR/node_modules/@modelcontextprotocol/inspector/package.json"
}

if command -v npm >/dev/null 2>&1; then
  if ! node_ok; then
    echo "==> installing MCP servers (npm) into $DIR" >&2
    mkdir -p "$DIR"
    [ -f "$DIR/package.json" ] || echo '{"name": "guardian-mcp-servers", "private": true}' > "$DIR/package.json"
    npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error \
      "@modelcontextprotocol/server-filesystem@$FS_VERSION" \
      "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" \
      "@modelcontextprotocol/server-everything@$EVERYTHING_VERSION" >&2
  fi
else
  echo "==> npm not found: skipping @modelcontextprotocol/server-filesystem and the inspector" >&2
fi

if [ -x "$PY" ]; then
  if ! "$PY" -c "import importlib.util as u, sys; sys.exit(u.find_spec(\"mcp_server_time\") is None)" >/dev/null 2>&1; then
    echo "==> installing $TIME_SPEC into the venv" >&2
    if command -v uv >/dev/null 2>&1; then
      uv pip install -q --python "$PY" "$TIME_SPEC" >&2
    elif "$PY" -m uv --version >/dev/null 2>&1; then
      "$PY" -m uv pip install -q --python "$PY" "$TIME_SPEC" >&2
    else
      "$PY" -m pip install -q "$TIME_SPEC" >&2
    fi
  fi
else
  echo "==> no venv at $PY: skipping mcp-server-time (run ./run test once first)" >&2
fi
