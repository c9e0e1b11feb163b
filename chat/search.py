"""Full-text search of message text: SQLite FTS5, or PostgreSQL's own text search.

SQLite indexes each message (migration 0004); PostgreSQL keeps one vector per
conversation (migration 0005). Words are matched whole (the last one as a
prefix on SQLite). Replies are searchable once they stop streaming.
"""
import re

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

_WORD = re.compile(r"\w+", re.UNICODE)


def _fts5_query(text: str) -> str | None:
    words = _WORD.findall(text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def matching(text: str) -> Q | None:
    """A filter on conversations with a message matching `text` (None: nothing to match)."""
    if connection.vendor == "sqlite":
        query = _fts5_query(text)
        if query is None:
            return None
        return Q(pk__in=RawSQL("SELECT m.conversation_id FROM chat_message_fts f JOIN chat_message m "
                               "ON m.id = f.rowid WHERE chat_message_fts MATCH %s", [query]))
    if connection.vendor == "postgresql":
        if not _WORD.search(text):
            return None
        return Q(RawSQL("chat_conversation.search @@ plainto_tsquery('simple', %s)", [text],
                        output_field=BooleanField()))
    return None
