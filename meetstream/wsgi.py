import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetstream.settings")

application = get_wsgi_application()

from meetstream.startup import broker_require, production_secrets_require  # noqa: E402

production_secrets_require()
broker_require()
