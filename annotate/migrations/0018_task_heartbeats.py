# A run's heartbeat and retry count: a reaper fails or retries runs whose worker died.

from django.db import migrations, models


def fields(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name="heartbeat_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Last sign of life of the worker running it (background runs only).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name=model_name,
            name="attempts",
            field=models.PositiveSmallIntegerField(
                db_default=0,
                default=0,
                help_text="How many times it was queued again after its worker stopped.",
            ),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [("annotate", "0017_api_tokens_webhooks")]

    operations = [*fields("importrun"), *fields("exportrun")]
