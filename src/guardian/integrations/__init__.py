"""Adapters between Guardian and the agent ecosystems it governs (MCP, ...)."""
