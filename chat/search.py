"""Full-text search of message text: SQLite FTS5, or PostgreSQL's own text search.

The indexes are made by migration 0003; this module writes the query for the
database in use. Words are matched whole (the last one as a prefix on SQLite). Replies are
searchable once they stop streaming.
"""
import re

from django.db import connection
from django.db.models.expressions import RawSQL

_WORD = re.compile(r"\w+", re.UNICODE)


def _fts5_query(text: str) -> str | None:
    words = _WORD.findall(text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def conversation_ids_matching(text: str) -> RawSQL | None:
    """A subquery of the ids of conversations with a message matching `text` (None: nothing to match)."""
    if connection.vendor == "sqlite":
        query = _fts5_query(text)
        if query is None:
            return None
        return RawSQL("SELECT m.conversation_id FROM chat_message_fts f JOIN chat_message m ON m.id = f.rowid "
                      "WHERE chat_message_fts MATCH %s", [query])
    if connection.vendor == "postgresql":
        if not _WORD.search(text):
            return None
        return RawSQL("SELECT conversation_id FROM chat_message WHERE status <> 'streaming' "
                      "AND to_tsvector('simple', content) @@ plainto_tsquery('simple', %s)", [text])
    return None
