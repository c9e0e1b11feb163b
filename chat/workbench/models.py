"""Prompts (immutable numbered versions, movable labels) and datasets (rows of variable values).

A version or a row is never edited in place: a save makes a new version, an edited row is a new row that
replaces the old one. A run can therefore name exactly what it used (version ids, row ids and the
dataset's `version` when it started), and later edits do not rewrite its history.
"""
from django.conf import settings as django_settings
from django.db import models

from chat.fields import OrderedJSONField


class Shared(models.Model):
    """Team-visible or private, like conversations; the owner (or a granted role) changes it."""

    PRIVATE, TEAM = "private", "team"
    VISIBILITY = [(PRIVATE, "Private"), (TEAM, "Team")]

    owner = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    visibility = models.CharField(max_length=10, choices=VISIBILITY, default=TEAM)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    MANAGE_ANY = ""  # "app_label.codename" of the permission that lets a non-owner change it

    class Meta:
        abstract = True
        ordering = ["-updated", "-id"]

    def __str__(self) -> str:
        return self.name

    def can_read(self, user) -> bool:
        return self.owner_id == user.pk or self.visibility == self.TEAM

    def can_write(self, user) -> bool:
        return self.owner_id == user.pk or (self.can_read(user) and user.has_perm(self.MANAGE_ANY))


class Prompt(Shared):
    MANAGE_ANY = "workbench.manage_any_prompt"

    class Meta(Shared.Meta):
        permissions = [("manage_any_prompt", "Can save versions of and move labels on any team prompt")]


class PromptVersion(models.Model):
    """One save of a prompt: messages with {{variables}} and the settings to send them with."""

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    messages = OrderedJSONField(default=list, help_text="[{role: system|user|assistant, content}] with {{variables}}.")
    settings = OrderedJSONField(default=dict, blank=True,
                                help_text="provider, model, params, tools, tool_choice, response_format.")
    variables = OrderedJSONField(default=dict, blank=True, help_text="{name: text|long_text|json|image}.")
    note = models.CharField(max_length=500, blank=True)
    author = models.ForeignKey(django_settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["prompt", "number"]
        constraints = [models.UniqueConstraint(fields=["prompt", "number"], name="unique_prompt_version")]

    def __str__(self) -> str:
        return f"{self.prompt} v{self.number}"


class PromptLabel(models.Model):
    """A name (`production`, `staging`…) pointing at one version of its prompt; moving it is audited."""

    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=60)
    version = models.ForeignKey(PromptVersion, on_delete=models.CASCADE, related_name="labels")
    moved_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    moved = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["prompt", "name"]
        constraints = [models.UniqueConstraint(fields=["prompt", "name"], name="unique_prompt_label")]

    def __str__(self) -> str:
        return f"{self.prompt}@{self.name}"


class Dataset(Shared):
    MANAGE_ANY = "workbench.manage_any_dataset"

    version = models.PositiveIntegerField(default=1, help_text="Goes up by one with each change to its rows.")
    columns = OrderedJSONField(default=list, blank=True, help_text="The variable names its rows give values for.")

    class Meta(Shared.Meta):
        permissions = [("manage_any_dataset", "Can change the rows of any team dataset")]


class DatasetRow(models.Model):
    """Variable values, an optional expected output and tags; live from `added` until `removed` (versions)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="rows")
    values = OrderedJSONField(default=dict)
    expected = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    source = models.JSONField(null=True, blank=True, help_text="Where it came from: {conversation, message} or null.")
    added = models.PositiveIntegerField(help_text="The dataset version that added it.")
    removed = models.PositiveIntegerField(null=True, blank=True, help_text="The dataset version that removed it.")
    position = models.PositiveIntegerField(default=0, help_text="Its place in the dataset; an edit's new row keeps it.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "id"]
        indexes = [models.Index(fields=["dataset", "removed", "id"], name="dataset_row_live")]

    def __str__(self) -> str:
        return f"{self.dataset} row {self.pk}"


from chat.workbench.models_ratings import Rating  # noqa: E402,F401  (its own module; registered with this app)
