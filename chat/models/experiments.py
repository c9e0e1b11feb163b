"""Experiments: one prompt sent to several models, many times, and every run stored.

An Experiment is the team-shared definition; each time it is run makes an
ExperimentBatch (a numbered run set, kept when it is run again) holding one
ExperimentRun per (model, repeat).
"""
from django.conf import settings
from django.db import models

from chat.fields import OrderedJSONField


class Experiment(models.Model):
    MAX_REPEATS = 50
    MAX_CONCURRENCY = 32

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="experiments")
    name = models.CharField(max_length=200)
    system = models.TextField(blank=True)
    messages = models.JSONField(
        default=list, help_text="The conversation to send: [{role, content}], ending with a user message.")
    tools = OrderedJSONField(default=list, blank=True, help_text="OpenAI function-tool objects.")
    tool_choice = models.JSONField(null=True, blank=True)
    response_format = OrderedJSONField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    targets = models.JSONField(default=list, help_text="[{provider, model}]: the models to compare.")
    repeats = models.PositiveSmallIntegerField(default=1)
    concurrency = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="Requests open at once per provider; empty: PLAYGROUND_EXPERIMENT_CONCURRENCY.")
    prompt_versions = models.JSONField(
        default=list, blank=True, help_text="Workbench prompt version ids to run instead of the prompt above.")
    dataset = models.ForeignKey("workbench.Dataset", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="experiments", help_text="Its live rows fill the prompt's variables.")
    evaluators = models.JSONField(default=list, blank=True, help_text="[{kind, name, ...}]: judged on every run.")
    cost_cap = models.FloatField(null=True, blank=True, help_text="Dollars: a run set stops when it has spent this.")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated", "-id"]

    def __str__(self) -> str:
        return self.name

    def can_edit(self, user) -> bool:
        return self.owner_id == user.pk

    def spec(self) -> dict:
        """What a run set is made from; each batch keeps a copy, so later edits do not rewrite history."""
        return {"system": self.system, "messages": self.messages, "tools": self.tools,
                "tool_choice": self.tool_choice, "response_format": self.response_format, "params": self.params,
                "targets": self.targets, "repeats": self.repeats, "concurrency": self.concurrency,
                "prompt_versions": self.prompt_versions, "dataset": self.dataset_id, "evaluators": self.evaluators,
                "cost_cap": self.cost_cap}


class ExperimentBatch(models.Model):
    """One run set of an experiment: `number` counts from 1 within the experiment."""

    RUNNING, COMPLETE, CANCELLED, INTERRUPTED, BUDGET = "running", "complete", "cancelled", "interrupted", "budget"
    STATUSES = [(s, s) for s in (RUNNING, COMPLETE, CANCELLED, INTERRUPTED, BUDGET)]

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    status = models.CharField(max_length=12, choices=STATUSES, default=RUNNING)
    spec = OrderedJSONField(default=dict)
    total = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    reason = models.CharField(max_length=300, blank=True, help_text="Why it stopped early (the cost cap...).")
    created = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["experiment", "number"]
        constraints = [models.UniqueConstraint(fields=["experiment", "number"], name="unique_batch_number")]
        indexes = [models.Index(fields=["status"], name="batch_running", condition=models.Q(status="running"))]

    def __str__(self) -> str:
        return f"{self.experiment} #{self.number}"


class ExperimentRun(models.Model):
    """One request (a cell): created `pending` with its batch, `running` once a process claims it, written once when it ends."""

    PENDING, RUNNING, COMPLETE, ERROR, CANCELLED, INTERRUPTED = (
        "pending", "running", "complete", "error", "cancelled", "interrupted")
    STATUSES = [(s, s) for s in (PENDING, RUNNING, COMPLETE, ERROR, CANCELLED, INTERRUPTED)]

    batch = models.ForeignKey(ExperimentBatch, on_delete=models.CASCADE, related_name="runs")
    provider = models.CharField(max_length=60)
    model = models.CharField(max_length=200)
    repeat = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=STATUSES, default=PENDING)
    output = models.TextField(blank=True)
    reasoning = models.TextField(blank=True, help_text="The model's reasoning, apart from its output.")
    finish_reason = models.CharField(max_length=30, blank=True)
    valid = models.BooleanField(
        null=True, blank=True, help_text="The reply against the response format; empty: not asked.")
    validation_errors = models.JSONField(default=list, blank=True)
    tool_calls = models.JSONField(default=list, blank=True, help_text="Assembled calls, each with its validation.")
    tool_calls_valid = models.BooleanField(null=True, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    ttft_ms = models.FloatField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    cost = models.FloatField(null=True, blank=True)
    fallback = models.CharField(max_length=200, blank=True)
    error_code = models.CharField(max_length=30, blank=True)
    error_message = models.TextField(blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    prompt_version = models.ForeignKey("workbench.PromptVersion", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    row = models.ForeignKey("workbench.DatasetRow", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verdicts = models.JSONField(default=list, blank=True, help_text="[{name, kind, passed, score, reason, error}].")
    judge_tokens = models.PositiveIntegerField(null=True, blank=True, help_text="The judges' own tokens, apart.")
    judge_cost = models.FloatField(null=True, blank=True, help_text="The judges' own cost, apart.")

    class Meta:
        ordering = ["batch", "id"]
        indexes = [models.Index(fields=["batch", "provider", "model"], name="run_batch_model"),
                   models.Index(fields=["batch", "status", "provider"], name="run_batch_status")]

    def __str__(self) -> str:
        return f"{self.provider}/{self.model} #{self.repeat}"

    @classmethod
    def rows_of(cls, runs: "models.QuerySet") -> list[dict]:
        """as_row() of every run of a queryset, read as plain values (no model instance per run: a results
        page of thousands of runs opens several times faster)."""
        names = [f.attname for f in cls._meta.concrete_fields]
        rows = []
        for values in runs.values(*names):
            values["prompt_version"], values["row"] = values.pop("prompt_version_id"), values.pop("row_id")
            for stamp in ("started", "finished"):
                values[stamp] = values[stamp].isoformat() if values[stamp] else None
            rows.append(values)
        return rows

    def as_row(self) -> dict:
        """The run as frames, tables and exports show it."""
        return {
            "id": self.pk, "batch_id": self.batch_id, "provider": self.provider, "model": self.model,
            "repeat": self.repeat, "status": self.status, "output": self.output, "reasoning": self.reasoning,
            "finish_reason": self.finish_reason,
            "valid": self.valid, "validation_errors": self.validation_errors, "tool_calls": self.tool_calls,
            "tool_calls_valid": self.tool_calls_valid, "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens, "ttft_ms": self.ttft_ms, "duration_ms": self.duration_ms,
            "cost": self.cost, "fallback": self.fallback, "error_code": self.error_code,
            "error_message": self.error_message,
            "started": self.started.isoformat() if self.started else None,
            "finished": self.finished.isoformat() if self.finished else None,
            "prompt_version": self.prompt_version_id, "row": self.row_id, "verdicts": self.verdicts,
            "judge_tokens": self.judge_tokens, "judge_cost": self.judge_cost,
        }
