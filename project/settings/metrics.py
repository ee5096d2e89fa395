"""Metrics (django-prometheus)."""

from __future__ import annotations

PROMETHEUS_EXPORT_MIGRATIONS = False
