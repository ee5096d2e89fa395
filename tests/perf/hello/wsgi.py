"""WSGI entry point of the hello-world (`granian … tests.perf.hello.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

# Set, not defaulted: the bench's environment may carry the product's settings module.
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.perf.hello.settings"

application = get_wsgi_application()
