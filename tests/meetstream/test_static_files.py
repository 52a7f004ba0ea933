"""The static files the servers a test starts serve: collected once, before any of them boots."""

import io

from django.core.management import call_command


def test_the_servers_tests_start_find_the_static_files_already_collected():
    """`make serve` collects static files as it starts and every gunicorn's whitenoise lists them
    as it boots, all in var/static. A collectstatic that replaces files (their sources newer, as
    after the reinstall CI makes for its second Python) while another test's gunicorn boots
    failed that boot on a file gone between its listing and its stat. The suite collects before
    its workers start, so the servers' own collectstatic finds nothing to copy."""
    said = io.StringIO()

    call_command("collectstatic", interactive=False, dry_run=True, verbosity=1, stdout=said)

    assert said.getvalue().lstrip().startswith("0 static files copied"), said.getvalue()
