from django.db import migrations, models

import meetstream.shared.ids


def fill(apps, schema_editor):
    WebhookEvent = apps.get_model("bots", "WebhookEvent")
    for event in WebhookEvent.objects.filter(public_id__isnull=True).only("pk"):
        event.public_id = meetstream.shared.ids.new_webhook_message_id()
        event.save(update_fields=["public_id"])


class Migration(migrations.Migration):
    dependencies = [("bots", "0002_webhookevent_webhookattempt_and_more")]

    operations = [
        migrations.AddField(
            model_name="webhookevent",
            name="public_id",
            field=models.CharField(max_length=40, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="webhookevent",
            name="public_id",
            field=models.CharField(
                default=meetstream.shared.ids.new_webhook_message_id, max_length=40, unique=True
            ),
        ),
    ]
