"""Start-up recovery: replies left `streaming`, and experiment runs left running, by a process that died."""
from django.utils import timezone

from chat.models import ExperimentBatch, ExperimentRun, Message


def mark_interrupted_replies() -> int:
    """Mark every reply still `streaming` as `interrupted`, keeping its checkpointed content.

    Also marks experiment run sets left running (mark_interrupted_runs), so the
    one start-up call covers both. Returns the number of replies marked.

    Run once before the server processes start (make run does), never while
    another process may be streaming.
    """
    mark_interrupted_runs()
    return Message.objects.filter(status=Message.STREAMING).update(
        status=Message.INTERRUPTED, error_code="interrupted",
        error_message="The server stopped while this reply was streaming; the text saved before that is kept.",
    )


def mark_interrupted_runs() -> int:
    """Mark run sets still `running` as `interrupted`, and their unfinished runs; returns the runs marked."""
    now = timezone.now()
    batches = ExperimentBatch.objects.filter(status=ExperimentBatch.RUNNING)
    runs = ExperimentRun.objects.filter(batch__in=batches, status=ExperimentRun.PENDING).update(
        status=ExperimentRun.INTERRUPTED, error_code="interrupted", finished=now,
        error_message="The server stopped before this run finished.")
    batches.update(status=ExperimentBatch.INTERRUPTED, finished=now)
    return runs
