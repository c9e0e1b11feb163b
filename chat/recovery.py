"""Start-up recovery: replies left `streaming` by a process that died."""
from chat.models import Message


def mark_interrupted_replies() -> int:
    """Mark every reply still `streaming` as `interrupted`, keeping its checkpointed content.

    Run once before the server processes start (make run does), never while
    another process may be streaming.
    """
    return Message.objects.filter(status=Message.STREAMING).update(
        status=Message.INTERRUPTED, error_code="interrupted",
        error_message="The server stopped while this reply was streaming; the text saved before that is kept.",
    )
