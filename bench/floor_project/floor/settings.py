"""The floor of `make bench`: the least a Django site can do per request.

One view that returns a small response; no middleware, no apps, no database,
no templates. `bench/run.py` serves it with the same gunicorn settings as the
site (worker count, sync workers), so the distance between this and the site's
own middleware-only view is what the site's stack costs.
"""

SECRET_KEY = "bench-floor-only-nothing-secret-here-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "floor.urls"
WSGI_APPLICATION = "floor.wsgi.application"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict] = {}
TEMPLATES: list[dict] = []
USE_I18N = False
USE_TZ = True
