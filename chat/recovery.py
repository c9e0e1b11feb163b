"""Start-up recovery: replies left `streaming`, and experiment runs left running, by a process that died."""
from django.conf import settings
from django.utils import timezone

from chat.experiments.resume import FRESH
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
    """Run sets left `running`: with workers, their cells left running go back to pending and the workers carry
    on (nothing to press); in the embedded server, they are marked `interrupted` with their unfinished runs, to
    be resumed with the page's button. Returns the runs marked."""
    now = timezone.now()
    batches = ExperimentBatch.objects.filter(status=ExperimentBatch.RUNNING)
    if settings.PLAYGROUND_EXPERIMENT_WORKERS:
        return ExperimentRun.objects.filter(batch__in=batches, status=ExperimentRun.RUNNING).update(
            status=ExperimentRun.PENDING, **FRESH)
    runs = ExperimentRun.objects.filter(
        batch__in=batches, status__in=(ExperimentRun.PENDING, ExperimentRun.RUNNING)).update(
        status=ExperimentRun.INTERRUPTED, error_code="interrupted", finished=now,
        error_message="The server stopped before this run finished.")
    batches.update(status=ExperimentBatch.INTERRUPTED, finished=now)
    return runs
