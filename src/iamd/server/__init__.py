"""The ASGI application. May import: protocol, console, service."""
