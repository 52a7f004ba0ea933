from django.db import migrations, models


def columns_to_location(apps, schema_editor):
    Pin = apps.get_model("bots", "Pin")
    for pin in Pin.objects.all():
        pin.location = {"bucket": pin.bucket, "region": pin.region, "endpoint_url": pin.endpoint_url}
        pin.save(update_fields=["location"])


def location_to_columns(apps, schema_editor):
    Pin = apps.get_model("bots", "Pin")
    for pin in Pin.objects.filter(provider="aws"):
        pin.bucket = pin.location["bucket"]
        pin.region = pin.location["region"]
        pin.endpoint_url = pin.location.get("endpoint_url") or ""
        pin.save(update_fields=["bucket", "region", "endpoint_url"])


class Migration(migrations.Migration):
    dependencies = [("bots", "0006_artifact_gave_up_index")]

    operations = [
        migrations.AddField(
            model_name="pin",
            name="provider",
            field=models.CharField(default="aws", max_length=16),
        ),
        migrations.AddField(
            model_name="pin",
            name="location",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(columns_to_location, location_to_columns),
        # Defaults, so that undoing the removals can add the columns back to existing rows.
        migrations.AlterField(model_name="pin", name="bucket", field=models.CharField(default="", max_length=63)),
        migrations.AlterField(model_name="pin", name="region", field=models.CharField(default="", max_length=32)),
        migrations.RemoveField(model_name="pin", name="bucket"),
        migrations.RemoveField(model_name="pin", name="region"),
        migrations.RemoveField(model_name="pin", name="endpoint_url"),
    ]
