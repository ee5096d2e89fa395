"""What a site is made of: the models the site export writes, in the order the import loads them.

The list is declared, not discovered: a new model is left out of exports until someone
decides here whether it is content (exported), a secret (never), or state that belongs to
one running server (sessions, tokens, task rows, live-stream counters, raw analytics).

Left out on purpose, and why:

- sessions (`qsessions.Session`), API refresh tokens and idempotency keys, preview links,
  allauth social *tokens* and apps: credentials or short-lived keys for this server;
- django-otp devices (TOTP secrets, backup codes): raw second-factor secrets, so people
  enrol again on the new site (password *hashes* can travel in a migration bundle, a TOTP
  key in clear cannot be made safe the same way);
- comment live-stream rows (`PostStream`, `StreamEvent`): pruned replay buffers;
- analytics, task-queue rows, waffle flags: per-server state (flags are set by migrations);
- the audit log: only in a migration bundle, since it is the old server's security record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db import models

FORMAT_NAME = "inkwell-site-export"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ModelSpec:
    """One model in the export: its label, the fields never written, and its file fields."""

    label: str  # "app_label.modelname", auto-created through models included ("blog.post_tags")
    exclude: frozenset[str] = frozenset()
    # Fields excluded unless the export is a migration bundle (password hashes).
    bundle_only_fields: frozenset[str] = frozenset()
    # The whole model is written only in a migration bundle.
    bundle_only: bool = False
    # Rows the target's migrations create (default newsletters, the moderation settings row):
    # an "empty" site may hold them, and the import replaces them with the exported ones.
    seeded_by_migrations: bool = False
    # JSON fields holding storage names of more files ({"640": "images/…-640.webp"}).
    file_name_maps: tuple[str, ...] = field(default=())

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)

    @property
    def file_name(self) -> str:
        return f"data/{self.label}.jsonl"


# Dependency order: every foreign key points to a model listed earlier (or to itself).
SPECS: tuple[ModelSpec, ...] = (
    ModelSpec("accounts.user", bundle_only_fields=frozenset({"password"})),
    ModelSpec("accounts.user_groups"),
    ModelSpec("accounts.user_user_permissions"),
    ModelSpec("account.emailaddress"),
    ModelSpec("socialaccount.socialaccount"),
    ModelSpec("accounts.follow"),
    ModelSpec("accounts.auditevent", bundle_only=True),
    ModelSpec("blog.category"),
    ModelSpec("blog.tag"),
    ModelSpec("blog.post"),
    ModelSpec("blog.post_tags"),
    ModelSpec("blog.post_coauthors"),
    ModelSpec("blog.postslug"),
    ModelSpec("blog.revision"),
    ModelSpec("blog.postimage", file_name_maps=("renditions",)),
    # Old WordPress/Ghost addresses keep answering 301 on the new server; the import run
    # that made them is this server's bookkeeping.
    ModelSpec("transfer.legacyredirect", exclude=frozenset({"run"})),
    ModelSpec("comments.moderationsettings", seeded_by_migrations=True),
    ModelSpec("comments.comment"),
    ModelSpec("comments.commentreport"),
    ModelSpec("notifications.notificationemail"),
    ModelSpec("notifications.notification"),
    ModelSpec("notifications.notificationpreference"),
    ModelSpec("newsletter.newsletter", seeded_by_migrations=True),
    ModelSpec("newsletter.subscriber"),
    ModelSpec("newsletter.subscription"),
    ModelSpec("newsletter.consent"),
    ModelSpec("newsletter.suppression"),
    ModelSpec("newsletter.campaign"),
    ModelSpec("newsletter.campaign_newsletters"),
    ModelSpec("newsletter.delivery"),
    # Readership history, aggregated (no visitor ids); raw visits and events stay behind.
    ModelSpec("analytics.rolledday"),
    ModelSpec("analytics.dailyrollup"),
    ModelSpec("analytics.hourlyrollup"),
)

# Every other model, and why it stays behind. A test fails when a model is in neither list,
# so a new model is a decision, not an accident. Whole apps are named by "app_label.*".
LEFT_OUT: dict[str, str] = {
    "admin.*": "the Django admin's own change log for this server",
    "auth.group": "roles: created by migrations on every site (memberships are exported)",
    "auth.group_permissions": "roles' permissions: created by migrations",
    "auth.permission": "created by migrations",
    "contenttypes.*": "created by migrations",
    "qsessions.*": "signed-in sessions: credentials for this server",
    "waffle.*": "feature flags and switches: set by migrations and per server",
    "django_tasks_database.*": "the task queue of this server",
    "account.emailconfirmation": "pending confirmation keys (secrets, short-lived)",
    "socialaccount.socialapp": "OAuth client secrets: configured per server",
    "socialaccount.socialtoken": "OAuth tokens: credentials",
    "otp_totp.*": "second-factor secrets: people enrol again",
    "otp_static.*": "backup codes: secrets",
    "otp_email.*": "second-factor devices: people enrol again",
    "axes.*": "failed-login records and lockouts of this server",
    "accounts.refreshtoken": "API refresh tokens: credentials",
    "api.idempotencykey": "cached API answers, kept a day",
    "blog.previewlink": "signed preview links: secrets, short-lived",
    "comments.poststream": "the live stream's counter: restarts at zero",
    "comments.streamevent": "the live stream's replay buffer: pruned after days",
    "analytics.salt": "the daily visitor-id salt: must not outlive its day",
    "analytics.visit": "raw visits (per visitor): the rollups carry the history",
    "analytics.event": "raw events (per visitor): the rollups carry the history",
    "transfer.importrun": "this server's import runs and their uploaded files",
    "transfer.sourcerecord": "which WordPress/Ghost ids this server's imports made: re-import here",
    "webhooks.endpoint": "signing secrets and addresses of this site's receivers: registered again",
    "webhooks.delivery": "the delivery log of this server's endpoints",
}

# Foreign keys to these models are written as natural keys (a group's name, a permission's
# codename): the target creates them in its own migrations, under ids of its own.
NATURAL_KEY_MODELS = frozenset({"auth.group", "auth.permission", "contenttypes.contenttype"})


def specs_for(*, with_passwords: bool) -> list[ModelSpec]:
    """The specs an export writes (a migration bundle writes the bundle-only ones too)."""
    return [spec for spec in SPECS if with_passwords or not spec.bundle_only]


def spec_by_label(label: str) -> ModelSpec | None:
    return next((spec for spec in SPECS if spec.label == label), None)


def exported_fields(spec: ModelSpec, *, with_passwords: bool) -> list[models.Field[object, object]]:
    """The concrete non-primary-key fields written for `spec` (secrets left out)."""
    skipped = set(spec.exclude)
    if not with_passwords:
        skipped |= spec.bundle_only_fields
    return [
        f for f in spec.model._meta.concrete_fields if not f.primary_key and f.name not in skipped
    ]
