from django.apps import AppConfig


class TenantsConfig(AppConfig):
    """Tenants and their API keys. Its label stays `meetstream`, the label its tables and
    migrations were made under."""

    name = "meetstream.tenants"
    label = "meetstream"
    verbose_name = "Tenants"
