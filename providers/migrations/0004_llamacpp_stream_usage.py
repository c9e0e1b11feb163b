"""Providers made from the llama.cpp preset ask for usage on streamed replies, as the preset now does."""
from django.db import migrations


def ask_for_usage(apps, schema_editor):
    Provider = apps.get_model("providers", "Provider")
    Provider.objects.filter(preset="llamacpp", supports_stream_usage=False).update(supports_stream_usage=True)


class Migration(migrations.Migration):

    dependencies = [
        ("providers", "0003_provider_idle_timeout"),
    ]

    operations = [
        migrations.RunPython(ask_for_usage, migrations.RunPython.noop),
    ]
