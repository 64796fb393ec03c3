"""Guardian's HTTP server: the API under /v1, the approval dashboard at /, metrics and health.

Start it with `guardian serve`; build the ASGI app with `guardian.server.app.create_app(settings)`.
"""
