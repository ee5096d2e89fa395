"""In-app notifications and each user's choice of how to receive each kind."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    COMMENT_REPLY = "comment_reply", _("A reply to your comment")
    POST_COMMENT = "post_comment", _("A comment on your post")
    POST_PUBLISHED = "post_published", _("Your post was published")
    POST_SENT_BACK = "post_sent_back", _("Your post was sent back")
    MENTION = "mention", _("A mention of your @username")


class Delivery(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("In the app and by email")
    OFF = "off", _("Off")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A sentence, stored as text so the list never needs the objects it talks about.
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)
    post = models.ForeignKey(
        "blog.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    comment = models.ForeignKey(
        "comments.Comment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set for kinds the recipient wants by email: the digest task sends it and sets emailed_at.
    email_due = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notif_recipient_created_idx",
            ),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notif_unread_idx",
            ),
            models.Index(
                fields=["email_due"],
                condition=Q(email_due=True, emailed_at__isnull=True),
                name="notif_email_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How a user wants one kind; no row means the kind's default (in the app)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Kind)
    delivery = models.CharField(max_length=8, choices=Delivery, default=Delivery.IN_APP)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "kind"], name="notif_one_pref_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} → {self.delivery}"
