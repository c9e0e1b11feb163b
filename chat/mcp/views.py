"""The MCP servers a signed-in person can enable in a conversation, and their own "always allow"."""
from django.http import JsonResponse
from django.views.decorators.http import require_http_methods

from chat.json_views import api, found
from chat.mcp.catalog import describe
from chat.models import McpServer


@api
@require_http_methods(["GET"])
def servers(request):
    """The enabled servers and the tools last discovered on each, with their schemas."""
    rows = McpServer.objects.filter(enabled=True)
    return JsonResponse({"servers": [describe(server, request.user) for server in rows]})


@api
@require_http_methods(["PUT", "DELETE"])
def always_allow(request, slug: str):
    """PUT: this server's tools run for you without asking; DELETE: ask again each time."""
    server = found(McpServer.objects.filter(enabled=True), "No enabled MCP server with that name.", slug=slug)
    if request.method == "PUT":
        server.always_allowed_by.add(request.user)
    else:
        server.always_allowed_by.remove(request.user)
    return JsonResponse(describe(server, request.user))
