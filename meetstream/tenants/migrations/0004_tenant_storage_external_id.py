from django.db import migrations, models

import meetstream.shared.ids


def external_ids_make(apps, schema_editor):
    # AddField gave every existing tenant the same value: each gets its own.
    Tenant = apps.get_model("meetstream", "Tenant")
    for tenant in Tenant.objects.all():
        tenant.storage_external_id = meetstream.shared.ids.new_external_id()
        tenant.save(update_fields=["storage_external_id"])


class Migration(migrations.Migration):
    dependencies = [("meetstream", "0003_webhook_secret_standard_base64")]

    operations = [
        migrations.AddField(
            model_name="tenant",
            name="storage_external_id",
            field=models.CharField(
                default=meetstream.shared.ids.new_external_id, editable=False, max_length=64
            ),
        ),
        migrations.RunPython(external_ids_make, migrations.RunPython.noop),
    ]
