from django.apps import AppConfig


class StorageConfigConfig(AppConfig):
    name = "storageconfig"
    verbose_name = "Storage configuration"

    def ready(self) -> None:
        from meetstream.shared.schema import error_vocabulary
        from storageconfig.failures import REASONS

        error_vocabulary("reason", REASONS)
