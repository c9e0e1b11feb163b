"""PostgreSQL: a trigram index on conversation titles, so a search's title match (`ILIKE '%word%'`) and its
text match are two index scans rather than a filter over every conversation (140 ms → 4 ms for a word no
conversation has, at 100,000 conversations). Needs the `pg_trgm` extension: where the database role may not
create it, the index is left out and search works as before."""
import logging

from django.db import migrations, transaction

log = logging.getLogger(__name__)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            with schema_editor.connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute("CREATE INDEX IF NOT EXISTS conv_title_trgm ON chat_conversation "
                               "USING gin (upper(title) gin_trgm_ops)")
    except Exception as error:  # no right to create the extension: search still works, title matches scan
        log.warning("Conversation titles get no trigram index (%s); title search scans them.", error)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS conv_title_trgm")


class Migration(migrations.Migration):
    dependencies = [("chat", "0017_run_claims")]
    operations = [migrations.RunPython(create, drop)]
