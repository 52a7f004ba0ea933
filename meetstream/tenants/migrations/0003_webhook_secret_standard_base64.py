"""Webhook secrets made before Standard Webhooks signing were URL-safe base64: re-encode the
same bytes in the standard alphabet that the spec's `whsec_<base64>` form and its libraries use."""

import base64
import binascii

from django.db import migrations


def reencode(apps, schema_editor):
    Tenant = apps.get_model("meetstream", "Tenant")
    for tenant in Tenant.objects.exclude(webhook_secret__isnull=True):
        body = (tenant.webhook_secret or "").removeprefix("whsec_")
        try:
            base64.b64decode(body, validate=True)
            continue
        except binascii.Error:
            pass
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        tenant.webhook_secret = "whsec_" + base64.b64encode(raw).decode()
        tenant.save(update_fields=["webhook_secret"])


class Migration(migrations.Migration):
    dependencies = [("meetstream", "0002_tenant_webhook_secret")]

    operations = [migrations.RunPython(reencode, migrations.RunPython.noop)]
