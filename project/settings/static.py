"""Static and media files."""

from __future__ import annotations

from pathlib import Path

from project.settings.environment import BASE_DIR, DEBUG, IS_PRODUCTION, TESTING, VAR_DIR, env

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "django_components.finders.ComponentsFileSystemFinder",
]
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Static files collected into STATIC_ROOT (`manage.py collectstatic`): hashed names that
# whitenoise serves compressed (gzip, Brotli) and cached for a year. Production always;
# `make run` too, so it shows the site as visitors get it. Manifest storage answers 500 for
# unbuilt assets, so only after collectstatic (trap 8), and never under pytest.
STATIC_COLLECTED: bool = env.bool("DJANGO_STATIC_COLLECTED", default=IS_PRODUCTION) and not TESTING
_static_backend = (
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
    if STATIC_COLLECTED
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": _static_backend},
}
# Otherwise whitenoise serves straight from the finders: no collectstatic.
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED
WHITENOISE_AUTOREFRESH = DEBUG
