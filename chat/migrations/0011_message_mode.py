import importlib

from django.db import migrations, models

# SQLite rebuilds chat_message to add a column, which drops the search triggers: put them back.
_search = importlib.import_module("chat.migrations.0004_message_search")


class Migration(migrations.Migration):

    dependencies = [
        ("chat", "0010_attachments"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="mode",
            field=models.CharField(
                choices=[("chat", "chat"), ("completion", "completion"), ("image", "image")], default="chat",
                help_text="chat; completion: a raw prompt and its continuation; image: images generated.",
                max_length=12),
        ),
        migrations.RunPython(_search.retrigger, migrations.RunPython.noop),
    ]
