"""MCP servers an admin registers: their transport, write-only auth headers, and the tools last discovered."""
import json
import re

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from providers import crypto

SLUG = re.compile(r"^[a-z0-9](?:-?[a-z0-9])*$")  # never "__": that separates a server from its tool in a name


class McpServer(models.Model):
    HTTP, STDIO = "http", "stdio"

    name = models.CharField(max_length=100, unique=True)
    slug = models.CharField(max_length=24, unique=True, validators=[RegexValidator(
        SLUG, "Lower-case letters, digits and single hyphens: it prefixes the tool names the model sees.")])
    transport = models.CharField(max_length=10, choices=[(HTTP, "Streamable HTTP"), (STDIO, "stdio (a command here)")],
                                 default=HTTP)
    url = models.URLField(max_length=500, blank=True, help_text="Streamable HTTP: the endpoint, e.g. https://host/mcp.")
    command = models.CharField(max_length=500, blank=True, help_text="stdio: the program run on this server.")
    args = models.JSONField(default=list, blank=True, help_text="stdio: its arguments, a JSON list of strings.")
    headers_encrypted = models.TextField(blank=True, editable=False)
    header_names = models.CharField(max_length=500, blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    tools = models.JSONField(default=list, blank=True, editable=False)  # [{name, description, input_schema}]
    discovered = models.DateTimeField(null=True, blank=True, editable=False)
    discovery_error = models.TextField(blank=True, editable=False)
    always_allowed_by = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                               help_text="People who let this server's tools run without asking.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_headers(self, headers: dict[str, str] | None) -> None:
        """Store the auth headers encrypted (empty or None removes them); only their names stay readable."""
        self.headers_encrypted = crypto.encrypt(json.dumps(headers)) if headers else ""
        self.header_names = ", ".join(sorted(headers or {}))[:500]

    def headers(self) -> dict[str, str]:
        return json.loads(crypto.decrypt(self.headers_encrypted)) if self.headers_encrypted else {}
