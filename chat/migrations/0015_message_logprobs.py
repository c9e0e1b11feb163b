import importlib

from django.db import migrations, models

# SQLite rebuilds chat_message to add a column, which drops the search triggers: put them back.
_search = importlib.import_module("chat.migrations.0004_message_search")


class Migration(migrations.Migration):

    dependencies = [
        ("chat", "0014_workbench_runs"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="logprobs",
            field=models.JSONField(
                blank=True, null=True,
                help_text="Text completion: [{token, logprob, top: [{token, logprob}]}] where the server returned them."),
        ),
        migrations.RunPython(_search.retrigger, migrations.RunPython.noop),
    ]
