"""Newsletter: sign-up, double opt-in, sending (any provider), tracking (off by default)."""

from __future__ import annotations

from project.settings.environment import env

# Unconfirmed sign-ups (and their confirmation links) expire after this many days.
NEWSLETTER_CONFIRM_DAYS: int = env.int("NEWSLETTER_CONFIRM_DAYS", default=7)
# The version of the consent wording shown beside every sign-up box; stored with each consent.
# Change it whenever the wording (templates/newsletter/_consent.html) changes.
NEWSLETTER_CONSENT_VERSION: str = env.str("NEWSLETTER_CONSENT_VERSION", default="2026-12-05")
# Sign-ups per client IP and per address per window (no mail bombing through our form).
NEWSLETTER_SIGNUP_RATE_LIMIT_IP: int = env.int("NEWSLETTER_SIGNUP_RATE_LIMIT_IP", default=10)
NEWSLETTER_SIGNUP_RATE_LIMIT_ADDRESS: int = env.int(
    "NEWSLETTER_SIGNUP_RATE_LIMIT_ADDRESS", default=3
)
NEWSLETTER_SIGNUP_RATE_WINDOW: int = env.int("NEWSLETTER_SIGNUP_RATE_WINDOW", default=3600)

# Sending. The backend for campaign mail; empty means Django's EMAIL_BACKEND (EMAIL_URL).
# Any django-anymail backend works, e.g. "anymail.backends.amazon_ses.EmailBackend",
# "anymail.backends.mailgun.EmailBackend", "anymail.backends.postmark.EmailBackend".
NEWSLETTER_EMAIL_BACKEND: str = env.str("NEWSLETTER_EMAIL_BACKEND", default="")
NEWSLETTER_FROM_EMAIL: str = env.str(
    "NEWSLETTER_FROM_EMAIL", default=""
)  # default: DEFAULT_FROM_EMAIL
# Deliveries claimed per batch by a worker, and the cap on messages per second per worker
# (0 = no cap), so a provider's sending limits hold.
NEWSLETTER_BATCH_SIZE: int = env.int("NEWSLETTER_BATCH_SIZE", default=200)
NEWSLETTER_SEND_RATE: float = env.float("NEWSLETTER_SEND_RATE", default=0.0)
# A refused or timed-out message is retried with back-off this many times, then failed.
NEWSLETTER_MAX_ATTEMPTS: int = env.int("NEWSLETTER_MAX_ATTEMPTS", default=4)
NEWSLETTER_RETRY_BASE_SECONDS: int = env.int("NEWSLETTER_RETRY_BASE_SECONDS", default=30)
# A claimed delivery whose worker has not marked it within this many seconds is taken to be
# orphaned (the worker died) and is sent again, with the same Message-ID. A live worker gives
# back what it has not sent well before the lease ends, so keep it above a batch's send time.
NEWSLETTER_CLAIM_LEASE_SECONDS: int = env.int("NEWSLETTER_CLAIM_LEASE_SECONDS", default=300)
# One send task works this long, then queues its own continuation (short tasks: the task
# reaper's timeout and attempt count never see a campaign of 100,000 as one long task).
NEWSLETTER_TASK_SECONDS: int = env.int("NEWSLETTER_TASK_SECONDS", default=120)
# Optional second List-Unsubscribe entry, e.g. "unsubscribe@example.com" (a mailbox you read).
NEWSLETTER_UNSUBSCRIBE_MAILTO: str = env.str("NEWSLETTER_UNSUBSCRIBE_MAILTO", default="")
# Opens and clicks are counted only when this is on (off by default, for privacy).
NEWSLETTER_TRACKING: bool = env.bool("NEWSLETTER_TRACKING", default=False)

# django-anymail: provider credentials and the tracking webhooks' shared secret
# ("user:password" in the webhook URL), all from the environment.
ANYMAIL: dict[str, str] = {
    key: value
    for key, value in {
        "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default=""),
        "MAILGUN_API_KEY": env.str("MAILGUN_API_KEY", default=""),
        "MAILGUN_SENDER_DOMAIN": env.str("MAILGUN_SENDER_DOMAIN", default=""),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
        "POSTMARK_SERVER_TOKEN": env.str("POSTMARK_SERVER_TOKEN", default=""),
        "SENDGRID_API_KEY": env.str("SENDGRID_API_KEY", default=""),
        "BREVO_API_KEY": env.str("BREVO_API_KEY", default=""),
    }.items()
    if value
}
