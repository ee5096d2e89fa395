"""Webhook endpoints and their deliveries.

An endpoint is a URL an admin registered, with the events it wants and its signing secret
(Standard Webhooks `whsec_` form). A delivery is one event for one endpoint: its message id
(`webhook-id`, the receiver's idempotency key, the same on every retry), the exact JSON
body, and a log of every attempt to send it.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The start of a response body or error kept with each attempt.
BODY_LIMIT = 2048


class Endpoint(models.Model):
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Event names from apps.webhooks.events (or "all").
    events = models.JSONField(default=list)
    # `whsec_` + base64 of 32 random bytes; shown to admins on request, never logged.
    secret = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Failed attempts in a row (any delivery); a success resets it.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.url

    def get_absolute_url(self) -> str:
        return reverse("dashboard:webhook_detail", args=[self.pk])


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Gave up")

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=50)
    # `msg_` + a random id: the `webhook-id` header, unique per event and endpoint.
    message_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # When the worker should try (again); also a lease while an attempt is in flight.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # One entry per attempt: at, status (HTTP code or null), duration_ms, body, error.
    attempts = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name_plural = "deliveries"
        indexes: ClassVar = [
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_ep_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"

    @property
    def last_attempt(self) -> dict[str, Any] | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def payload_json(self) -> str:
        """The payload as readable JSON, for the delivery log."""
        return json.dumps(self.payload, indent=2, ensure_ascii=False)
