from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project's glue (settings, urls, processes, health, metrics, schema): an app only
    for its deploy checks and its commands (serve, reencrypt_credentials)."""

    name = "meetstream"
    label = "project"
    verbose_name = "Project"

    def ready(self) -> None:
        from meetstream import checks  # noqa: F401 - registers the deploy checks
