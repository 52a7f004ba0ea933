#!/usr/bin/env python
import os
import sys
from pathlib import Path

# `make run` makes and keeps its own secrets; every other command needs real ones.
DEMO_COMMANDS = {"serve_demo"}
# Commands that serve requests need a broker for the work those requests start.
SERVING_COMMANDS = {"runserver", "serve"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetstream.settings")
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command in DEMO_COMMANDS:
        from meetstream.startup import demo_secrets_load

        demo_secrets_load(Path(__file__).resolve().parent / "var")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    if command not in DEMO_COMMANDS:
        from meetstream.startup import broker_require, production_secrets_require

        try:
            production_secrets_require()
            if command in SERVING_COMMANDS:
                broker_require()
        except ImproperlyConfigured as missing:
            sys.exit(f"manage.py {command}: {missing}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
