import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetstream.settings")

application = get_wsgi_application()

from meetstream.startup import production_secrets_require  # noqa: E402 - needs settings

production_secrets_require()
