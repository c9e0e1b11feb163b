"""The chat app's admin pages (Django's autodiscovery imports this module)."""
from chat.mcp import admin  # noqa: F401
