"""Production settings for the servers of the fault tests, with static files served from the apps.

`healthlinks serve --production` runs collectstatic into WhiteNoise's compressed manifest storage first, which takes
minutes on a busy two-core machine; static files play no part in these faults, so the tests start gunicorn with
these settings instead (everything else, CONN_MAX_AGE included, is the production configuration)."""

from healthlinks.settings import *  # noqa: F403

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
