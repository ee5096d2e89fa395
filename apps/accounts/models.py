from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

username_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9_-]{0,38}[a-z0-9])?$",
    _(
        "Use 1–40 lowercase letters, digits, hyphens or underscores, starting and ending with a letter or digit."
    ),
)


def validate_language_list(value: object) -> None:
    """A JSON list of the site's language codes (an author's `writes_languages`)."""
    if not isinstance(value, list) or not all(
        isinstance(code, str) and code in settings.SITE_LANGUAGES for code in value
    ):
        raise ValidationError(
            _("Give a list of the site’s language codes: %(codes)s.")
            % {"codes": ", ".join(settings.SITE_LANGUAGES)}
        )


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Email addresses are stored lower-cased; log-ins may type them otherwise.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. Email is the login; username names the public page."""

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    username = models.CharField(
        _("username"), max_length=40, unique=True, validators=[username_validator]
    )
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    bio = models.TextField(_("bio"), blank=True, max_length=2000)
    # Rendered from `bio` (a small Markdown subset) and sanitised by the profile service.
    bio_html = models.TextField(editable=False, default="")
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # The language of their emails and of the pages without one in the URL (dashboard,
    # account); blank: the site's default. Set by the language switcher and their settings.
    language = models.CharField(_("language"), max_length=12, blank=True, default="")
    # Authors who may write only in these languages (empty: any of the site's languages).
    writes_languages = models.JSONField(
        _("languages they write in"),
        default=list,
        blank=True,
        validators=[validate_language_list],
        help_text=_('A list of language codes, e.g. ["de", "ar"]; empty: any of the site’s.'),
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["username"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = (("manage_roles", "Can change roles and deactivate users"),)
        constraints: ClassVar = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        self.username = self.username.lower()

    @property
    def name(self) -> str:
        """What readers see: the display name, else the username."""
        return self.display_name or self.username

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("blog:author_detail", kwargs={"username": self.username})


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One security-relevant event. Append-only: written by `audit.record_event`, never edited."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        LOCKOUT = "lockout", _("Locked out")
        LOCKOUT_CLEARED = "lockout_cleared", _("Lockout cleared")
        LOGOUT = "logout", _("Signed out")
        SIGNUP = "signup", _("Signed up")
        EMAIL_VERIFIED = "email_verified", _("Email verified")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        EMAIL_CHANGED = "email_changed", _("Email changed")
        MFA_ENROLLED = "mfa_enrolled", _("Two-factor enrolled")
        MFA_DISABLED = "mfa_disabled", _("Two-factor disabled")
        MFA_FAILED = "mfa_failed", _("Two-factor code rejected")
        BACKUP_CODE_USED = "backup_code_used", _("Backup code used")
        BACKUP_CODES_REGENERATED = "backup_codes_regenerated", _("Backup codes regenerated")
        ROLE_CHANGED = "role_changed", _("Role changed")
        WRITES_LANGUAGES_CHANGED = "writes_languages_changed", _("Writing languages changed")
        USER_DEACTIVATED = "user_deactivated", _("User deactivated")
        USER_REACTIVATED = "user_reactivated", _("User reactivated")
        SESSION_REVOKED = "session_revoked", _("Session revoked")
        SOCIAL_CONNECTED = "social_connected", _("Social account connected")
        SOCIAL_DISCONNECTED = "social_disconnected", _("Social account disconnected")
        PROFILE_UPDATED = "profile_updated", _("Profile updated")
        ACCOUNT_DELETED = "account_deleted", _("Account deleted")
        API_TOKENS_REVOKED = "api_tokens_revoked", _("API sign-out")
        API_TOKEN_REUSED = "api_token_reused", _("API refresh token reused")
        SUBSCRIBERS_IMPORTED = "subscribers_imported", _("Newsletter subscribers imported")
        SUBSCRIBERS_EXPORTED = "subscribers_exported", _("Newsletter subscribers exported")
        WEBHOOK_CREATED = "webhook_created", _("Webhook endpoint added")
        WEBHOOK_UPDATED = "webhook_updated", _("Webhook endpoint URL changed")
        WEBHOOK_DELETED = "webhook_deleted", _("Webhook endpoint deleted")
        WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated", _("Webhook secret rotated")
        WEBHOOK_DISABLED = "webhook_disabled", _("Webhook endpoint switched off")
        WEBHOOK_ENABLED = "webhook_enabled", _("Webhook endpoint switched on")
        SITE_EXPORTED = "site_exported", _("Site exported")
        SITE_IMPORTED = "site_imported", _("Site export imported")
        PERSONAL_DATA_EXPORTED = "personal_data_exported", _("Personal data downloaded")
        SITE_IMPORT_STARTED = "site_import_started", _("Site import started")
        SITE_IMPORT_RESUMED = "site_import_resumed", _("Site import resumed")
        SITE_IMPORT_ROLLED_BACK = "site_import_rolled_back", _("Site import rolled back")

    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    # Who did it; kept as text too, so the entry survives the account's deletion.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events_as_actor",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events_as_target",
    )
    target_label = models.CharField(max_length=254, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        permissions = (("view_audit_log", "Can browse and export the audit log"),)
        indexes: ClassVar = [
            models.Index(fields=["target", "-created_at"], name="audit_target_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.target_label or self.actor_label} · {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


class RefreshToken(models.Model):
    """One API refresh token, stored as a SHA-256 digest (apps.accounts.tokens issues them).

    Every rotation adds a row to the same `family`; a row is used once. Presenting a used
    row again means the token leaked, so the whole family is revoked.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    family = models.UUIDField(db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # The user's token generation when issued: a password change or deactivation changes it.
    generation = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The sign-in that started the family passed a second factor; rotations carry it on, and
    # its access tokens say so (claim `mfa`). A reader's token does not become a verified one
    # when they are later made an editor.
    second_factor = models.BooleanField(default=False)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"Refresh token {self.pk} of {self.user_id} (family {self.family})"


class Follow(models.Model):
    """A reader follows an author: they hear (bell, and mail if chosen) when the author publishes."""

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["follower", "author"], name="follow_once"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("author")), name="follow_not_self"
            ),
        ]
        # "Whom do I follow" is the unique index's prefix; "who follows this author" (the
        # publishing fan-out) needs its own.
        indexes: ClassVar = [models.Index(fields=["author"], name="follow_author_idx")]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.author_id}"
