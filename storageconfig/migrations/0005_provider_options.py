import json

import fernet_fields.fields
from django.db import migrations, models

# The S3 fields that were columns, now the aws provider's options (empty ones left out).
_OPTIONS = ("bucket_name", "region", "endpoint_url", "server_side_encryption", "kms_key_id",
            "role_arn")


def columns_to_options(apps, schema_editor):
    StorageConfig = apps.get_model("storageconfig", "StorageConfig")
    for config in StorageConfig.objects.all():
        config.options = {name: getattr(config, name) for name in _OPTIONS if getattr(config, name)}
        if config.access_key_id and config.secret_key:
            config.secrets_json = json.dumps(
                {"access_key_id": config.access_key_id, "secret_key": config.secret_key}
            )
        config.save(update_fields=["options", "secrets_json"])


def options_to_columns(apps, schema_editor):
    StorageConfig = apps.get_model("storageconfig", "StorageConfig")
    for config in StorageConfig.objects.filter(provider="aws"):
        for name in _OPTIONS:
            setattr(config, name, config.options.get(name) or "")
        secrets = json.loads(config.secrets_json) if config.secrets_json else {}
        config.access_key_id = secrets.get("access_key_id")
        config.secret_key = secrets.get("secret_key")
        config.save()


class Migration(migrations.Migration):
    dependencies = [("storageconfig", "0004_role_arn")]

    operations = [
        migrations.AddField(
            model_name="storageconfig",
            name="options",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="storageconfig",
            name="secrets_json",
            field=fernet_fields.fields.EncryptedTextField(blank=True, null=True),
        ),
        migrations.RunPython(columns_to_options, options_to_columns),
        # Defaults, so that undoing the removals can add the columns back to existing rows.
        migrations.AlterField(
            model_name="storageconfig", name="bucket_name", field=models.CharField(default="", max_length=63)
        ),
        migrations.AlterField(
            model_name="storageconfig", name="region", field=models.CharField(default="", max_length=32)
        ),
        migrations.RemoveField(model_name="storageconfig", name="bucket_name"),
        migrations.RemoveField(model_name="storageconfig", name="region"),
        migrations.RemoveField(model_name="storageconfig", name="endpoint_url"),
        migrations.RemoveField(model_name="storageconfig", name="server_side_encryption"),
        migrations.RemoveField(model_name="storageconfig", name="kms_key_id"),
        migrations.RemoveField(model_name="storageconfig", name="role_arn"),
        migrations.RemoveField(model_name="storageconfig", name="access_key_id"),
        migrations.RemoveField(model_name="storageconfig", name="secret_key"),
    ]
