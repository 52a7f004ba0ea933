from django.core.management.base import BaseCommand

from meetstream.shared.encryption import encrypted_values_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (storage credentials, webhook signing secrets, any "
        "encrypted field of any model) with the first key of FERNET_KEYS: key rotation."
    )

    def handle(self, *args, **options):
        counts = encrypted_values_reencrypt()
        for label, rows in counts.items():
            self.stdout.write(f"{label}: {rows} value(s) re-encrypted")
        self.stdout.write(f"Done: {sum(counts.values())} value(s) now under the first key.")
