from django.core.management.base import BaseCommand

from meetstream.tenants.services import api_key_create, tenant_get_or_create


class Command(BaseCommand):
    help = "Create a tenant if missing and a new API key for it; the key is the last line."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant name")

    def handle(self, *args, tenant: str, **options):
        owner = tenant_get_or_create(name=tenant)
        issued = api_key_create(tenant=owner)
        self.stdout.write(
            f"API key for tenant '{owner.name}' ({owner.public_id}); it is shown only once:"
        )
        self.stdout.write(issued.plaintext)
