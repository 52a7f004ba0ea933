from django.apps import AppConfig


class DemoConfig(AppConfig):
    """`make run`'s tooling: the embedded S3, the emulators and serve_demo. The product never
    imports it (tests/meetstream/test_layers.py)."""

    name = "meetstream.demo"
    label = "demo"
    verbose_name = "Demo"
