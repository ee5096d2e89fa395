"""What the API stores of its own: the answers to write requests sent with an Idempotency-Key."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """The first answer to a user's write request carrying `Idempotency-Key: <key>`.

    A client that did not get the answer (a timeout, a 503 during an outage) sends the
    same request with the same key again and gets this answer back instead of a second
    comment. Stored in the same transaction as the write it answers (apps.api.idempotency),
    so a key exists exactly when its write committed. Kept for IDEMPOTENCY_KEY_TTL.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # sha256 of the method, path and body: the same key with another request is a mistake.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} → {self.status}"
