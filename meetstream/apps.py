from django.apps import AppConfig


class MeetstreamConfig(AppConfig):
    name = "meetstream"
    verbose_name = "Tenants"
