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
    AUTHOR_PUBLISHED = "author_published", _("A new post by an author you follow")
    WEBHOOK_DISABLED = "webhook_disabled", _("A webhook endpoint was switched off")


# Kinds sent only to admins, about the site rather than their own activity (apps.webhooks
# switching an endpoint off): always in the app, and not offered as a choice on the settings
# page or over the API, where readers would only wonder what they are.
ADMIN_KINDS: frozenset[str] = frozenset({Kind.WEBHOOK_DISABLED})


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
    # Set for kinds the recipient wants by email. The mailer stamps emailed_at and links the
    # batch (`email`) in a committed transaction *before* it sends (apps.notifications.emails).
    email_due = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email = models.ForeignKey(
        "NotificationEmail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )

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
        constraints: ClassVar = [
            # One notification per person per comment, so the repair sweep
            # (`manage.py repair_notifications`) can never add a second one.
            models.UniqueConstraint(
                fields=["recipient", "comment"],
                condition=Q(comment__isnull=False),
                name="notif_one_per_recipient_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationEmail(models.Model):
    """One batched notification mail: claimed (stamped) first, then sent, at most once.

    `claimed_at` is committed before the mail goes out. `sent_at` set means the mail server
    took it; `failed_at` means it refused and the items went back to pending; neither,
    some minutes after the claim, means the sender died mid-send and the mail may or may
    not have gone out (it is not sent again). `message_id` is the mail's Message-ID header.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_emails"
    )
    message_id = models.CharField(max_length=255, unique=True)
    item_count = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("-claimed_at", "-id")

    def __str__(self) -> str:
        return f"{self.message_id} to {self.recipient_id}"


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
