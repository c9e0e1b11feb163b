"""Reasoning kept apart from the answer. On SQLite, adding columns rebuilds chat_message and drops the
full-text triggers of migration 0004: they are made again."""
import importlib

from django.db import migrations, models

_search = importlib.import_module("chat.migrations.0004_message_search")


class Migration(migrations.Migration):

    dependencies = [
        ('chat', '0006_preferences'),
    ]

    operations = [
        migrations.AddField(
            model_name='experimentrun',
            name='reasoning',
            field=models.TextField(blank=True, help_text="The model's reasoning, apart from its output."),
        ),
        migrations.AddField(
            model_name='message',
            name='reasoning',
            field=models.TextField(blank=True, help_text="The model's reasoning, apart from its answer."),
        ),
        migrations.AddField(
            model_name='message',
            name='reasoning_extra',
            field=models.JSONField(blank=True, help_text='Provider data sent back with the reasoning.', null=True),
        ),
        migrations.RunPython(_search.retrigger, migrations.RunPython.noop),
    ]
