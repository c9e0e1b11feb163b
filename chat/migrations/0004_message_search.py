"""Full-text indexes of message text (SQLite FTS5 with triggers; a PostgreSQL GIN index).

On SQLite, a later migration that alters chat_message rebuilds the table and drops these
triggers: such a migration must re-run SQLITE (tests/chat/test_search.py catches it).
"""
from django.db import migrations

# Replies are indexed once they stop streaming: checkpoints do not re-index text that is still growing.
SQLITE = [
    "CREATE VIRTUAL TABLE chat_message_fts USING fts5(content, content='chat_message', content_rowid='id')",
    """CREATE TRIGGER chat_message_fts_insert AFTER INSERT ON chat_message WHEN new.status != 'streaming' BEGIN
         INSERT INTO chat_message_fts(rowid, content) VALUES (new.id, new.content); END""",
    """CREATE TRIGGER chat_message_fts_delete AFTER DELETE ON chat_message WHEN old.status != 'streaming' BEGIN
         INSERT INTO chat_message_fts(chat_message_fts, rowid, content) VALUES ('delete', old.id, old.content); END""",
    """CREATE TRIGGER chat_message_fts_update AFTER UPDATE OF content, status ON chat_message BEGIN
         INSERT INTO chat_message_fts(chat_message_fts, rowid, content)
           SELECT 'delete', old.id, old.content WHERE old.status != 'streaming';
         INSERT INTO chat_message_fts(rowid, content) SELECT new.id, new.content WHERE new.status != 'streaming'; END""",
    "INSERT INTO chat_message_fts(chat_message_fts) VALUES ('rebuild')",
]
SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS chat_message_fts_insert", "DROP TRIGGER IF EXISTS chat_message_fts_delete",
    "DROP TRIGGER IF EXISTS chat_message_fts_update", "DROP TABLE IF EXISTS chat_message_fts",
]
POSTGRES = ["CREATE INDEX chat_message_fts ON chat_message USING gin (to_tsvector('simple', content)) "
            "WHERE status <> 'streaming'"]
POSTGRES_UNDO = ["DROP INDEX IF EXISTS chat_message_fts"]


def retrigger(apps, schema_editor):
    """For a later migration that rebuilds chat_message on SQLite: the full-text triggers again."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_UNDO[:3] + SQLITE[1:]:
            schema_editor.execute(statement)


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(statement)
    return run


class Migration(migrations.Migration):
    dependencies = [("chat", "0003_ordered_json")]

    operations = [
        migrations.RunPython(_run({"sqlite": SQLITE, "postgresql": POSTGRES}),
                             _run({"sqlite": SQLITE_UNDO, "postgresql": POSTGRES_UNDO})),
    ]
