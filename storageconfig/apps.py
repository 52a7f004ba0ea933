from django.apps import AppConfig


class StorageConfigConfig(AppConfig):
    name = "storageconfig"
    verbose_name = "Storage configuration"
