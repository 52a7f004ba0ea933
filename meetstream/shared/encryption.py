"""Every value the project keeps encrypted with FERNET_KEYS, and their rotation to its first key.

The fields are found from the models, not listed: a field added anywhere is rotated too.
"""

from django.apps import apps
from django.db import models, transaction
from fernet_fields import EncryptedField


def encrypted_fields() -> dict[type[models.Model], list[str]]:
    """Each model with encrypted fields, and their names."""
    found = {}
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
        if names:
            found[model] = names
    return found


def encrypted_values_reencrypt() -> dict[str, int]:
    """Rewrite every encrypted value with the first FERNET_KEYS key, in one transaction: the
    rows rewritten, by `app.Model.field` label."""
    counts = {}
    with transaction.atomic():
        for model, names in encrypted_fields().items():
            rows = model._base_manager.select_for_update().order_by("pk")
            for name in names:
                counts[f"{model._meta.label}.{name}"] = 0
            # Read decrypts with any key; update() encrypts with the first.
            for pk, *values in rows.values_list("pk", *names).iterator():
                model._base_manager.filter(pk=pk).update(**dict(zip(names, values, strict=True)))
                for name, value in zip(names, values, strict=True):
                    counts[f"{model._meta.label}.{name}"] += value is not None
    return counts
