from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('providers', '0008_model_purpose'),
    ]

    operations = [
        migrations.AddField(
            model_name='provider',
            name='supports_completions',
            field=models.BooleanField(default=False,
                                      help_text='Serves text completion (/v1/completions: a raw prompt continued).'),
        ),
        migrations.AddField(
            model_name='providermodel',
            name='supports_completions',
            field=models.BooleanField(blank=True, help_text='Serves text completion. Empty: as the provider.', null=True),
        ),
    ]
