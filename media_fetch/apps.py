from django.apps import AppConfig


class MediaFetchConfig(AppConfig):
    name = "media_fetch"
    verbose_name = "Media fetch"
