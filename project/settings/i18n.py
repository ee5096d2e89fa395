"""Internationalisation."""

from __future__ import annotations

from project.settings.environment import env

LANGUAGE_CODE = "en"
TIME_ZONE: str = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
