"""Newsletters, their subscribers, campaigns and one delivery row per recipient.

A subscriber is one normalised email address (an account is optional). Each newsletter
has its own subscriptions; double opt-in confirms the address once (`confirmed_at`) and
activates the subscriptions chosen at sign-up. Every consent is logged (`Consent`): when,
from which form, which wording version.

A campaign's recipients get a `Delivery` row each *before* anything is sent (batched
inserts); the send loop claims rows with `select_for_update(skip_locked=True)`, so several
workers can send one campaign and a killed worker's rows are resumed, never doubled.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def normalise_email(address: str) -> str:
    """One person, one subscriber: trimmed and lower-cased (the whole address)."""
    return (address or "").strip().lower()


class Newsletter(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    # Offered (and pre-ticked) in the sign-up boxes; a site's main list.
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # A newsletter for one language's readers (offered on that language's pages only);
    # blank: every language's.
    language = models.CharField(max_length=12, blank=True, default="")

    class Meta:
        ordering = ("position", "name")

    def __str__(self) -> str:
        return self.name


class Source(models.TextChoices):
    HOME = "home", _("Home page box")
    POST = "post", _("End of a post")
    PAGE = "page", _("Newsletter page")
    ACCOUNT = "account", _("Signed-in one-click")
    PREFERENCES = "preferences", _("Preferences page")
    API = "api", _("Mobile app")
    IMPORT = "import", _("CSV import")
    ADMIN = "admin", _("Added by staff")
    PROVIDER = "provider", _("The mail provider (an unsubscribe it received)")


class Subscriber(models.Model):
    email = models.EmailField(max_length=254, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscriber",
    )
    # Set when the address is confirmed (double opt-in) or arrives confirmed (import with
    # consent, a verified account). Unconfirmed subscribers expire after
    # NEWSLETTER_CONFIRM_DAYS and are deleted by `manage.py prune_newsletter`.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Changes when the subscriber changes their mind, so old confirmation links stop working.
    token_version = models.PositiveIntegerField(default=0)
    # The language of the page they signed up on (their last sign-up): their mail's, and
    # which version of a campaign they get (Campaign.versions). Blank: the site's default.
    language = models.CharField(max_length=12, blank=True, default="")

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [
            models.Index(
                fields=["created_at"],
                condition=Q(confirmed_at__isnull=True),
                name="nl_subscriber_unconfirmed_idx",
            ),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(email=models.functions.Lower(models.functions.Trim("email"))),
                name="nl_subscriber_email_normalised",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    ACTIVE = "active", _("Subscribed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Subscription(models.Model):
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.CASCADE, related_name="subscriptions"
    )
    status = models.CharField(
        max_length=12, choices=SubscriptionStatus, default=SubscriptionStatus.PENDING
    )
    source = models.CharField(max_length=12, choices=Source, default=Source.PAGE)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # When the current confirmation was asked for (PENDING): a pending subscription older
    # than NEWSLETTER_CONFIRM_DAYS can no longer be confirmed and is pruned.
    requested_at = models.DateTimeField(null=True, blank=True)
    subscribed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("newsletter__position", "newsletter__name")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["subscriber", "newsletter"], name="nl_subscription_unique"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["newsletter", "status"], name="nl_subscription_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} → {self.newsletter_id} ({self.status})"


class Consent(models.Model):
    """What a subscriber agreed to, when, where, and to which wording."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    source = models.CharField(max_length=12, choices=Source)
    # settings.NEWSLETTER_CONSENT_VERSION at the time (the wording shown beside the box).
    wording_version = models.CharField(max_length=40)
    newsletters = models.CharField(max_length=500, blank=True)  # slugs, comma-separated
    given_at = models.DateTimeField(default=timezone.now)
    # For imports: who vouched that these people consented.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("-given_at", "-id")

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.source} {self.given_at:%Y-%m-%d}"


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "bounced", _("Hard bounce")
    COMPLAINT = "complained", _("Spam complaint")
    MANUAL = "manual", _("Added by staff")


class Suppression(models.Model):
    """An address no newsletter may mail (hard bounce, complaint, or by hand)."""

    email = models.EmailField(max_length=254, unique=True)
    reason = models.CharField(max_length=12, choices=SuppressionReason)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    # Waiting for its post to go live (the editor's "also email this post" choice).
    WAITING = "waiting", _("Waiting for the post")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(models.Model):
    subject = models.CharField(max_length=200)
    preheader = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)  # Markdown
    body_html = models.TextField(blank=True)  # sanitised HTML of `body`
    post = models.ForeignKey(
        "blog.Post",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
    )
    # Made by the editor's "also email this post" step: sent when the post goes live.
    from_publish = models.BooleanField(default=False)
    newsletters = models.ManyToManyField(Newsletter, related_name="campaigns")
    status = models.CharField(max_length=10, choices=CampaignStatus, default=CampaignStatus.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when the recipients' delivery rows are all written (the send may then start).
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    recipients_count = models.PositiveIntegerField(default=0)
    # The campaign's language (blank: the site's default). A version is the same campaign in
    # another language: it is never sent on its own; when its campaign is sent, each
    # subscriber whose language has a version gets that version instead.
    language = models.CharField(max_length=12, blank=True, default="")
    translation_of = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="versions"
    )

    class Meta:
        ordering = ("-created_at", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["translation_of", "language"], name="nl_campaign_one_version_per_language"
            ),
            # "Also email this post" sends a post by mail exactly once.
            models.UniqueConstraint(
                fields=["post"],
                condition=~Q(status="cancelled") & Q(post__isnull=False) & Q(from_publish=True),
                name="nl_campaign_one_publish_mail_per_post",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Handed to the mail server")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (suppressed or unsubscribed)")


class Delivery(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    # SET_NULL: erasing a subscriber keeps the campaign's counts but drops who it was.
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    email = models.EmailField(max_length=254, blank=True)
    status = models.CharField(max_length=8, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # The Message-ID we set: stable per delivery, so a resend after a crash is the same message.
    message_id = models.CharField(max_length=200, blank=True)
    # The provider's id (anymail), to match bounce and complaint webhooks.
    provider_id = models.CharField(max_length=200, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("id",)
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["campaign", "subscriber"], name="nl_delivery_once_per_campaign"
            ),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["campaign", "id"],
                condition=Q(status__in=["pending", "sending"]),
                name="nl_delivery_todo_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.email} ({self.status})"
