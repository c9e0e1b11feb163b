"""Prompts in the admin, to look at: versions are never edited, labels move through the prompt page (audited)."""
from django.contrib import admin

from chat.workbench.models import Prompt, PromptVersion


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VersionInline(admin.TabularInline):
    model = PromptVersion
    fields = readonly_fields = ("number", "note", "author", "created")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Prompt)
class PromptAdmin(ReadOnly):
    list_display = ("name", "owner", "visibility", "updated")
    list_filter = ("visibility",)
    search_fields = ("name", "description")
    readonly_fields = ("owner", "name", "description", "visibility", "created", "updated")
    inlines = [VersionInline]


@admin.register(PromptVersion)
class PromptVersionAdmin(ReadOnly):
    list_display = ("prompt", "number", "author", "created", "note")
    search_fields = ("prompt__name", "note")
    readonly_fields = ("prompt", "number", "messages", "settings", "variables", "note", "author", "created")
