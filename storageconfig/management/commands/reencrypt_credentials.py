from django.core.management.base import BaseCommand

from storageconfig.services import storage_credentials_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt every stored credential with the first key of FERNET_KEYS (key rotation)."

    def handle(self, *args, **options):
        count = storage_credentials_reencrypt()
        self.stdout.write(f"Re-encrypted the credentials of {count} configuration revision(s).")
