from django.apps import AppConfig


class MeetstreamConfig(AppConfig):
    name = "meetstream"
    verbose_name = "Tenants"

    def ready(self) -> None:
        from meetstream import checks  # noqa: F401 - registers the deploy checks
