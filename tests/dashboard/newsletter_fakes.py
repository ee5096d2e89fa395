"""Stand-ins for issue 13 part D (apps.newsletter.campaigns, .mail, .stats) while it is built
on another branch. Installed only for a module that does not exist: once part D is merged,
the dashboard tests run against the real functions with the same fixed signatures.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass, field
from datetime import timedelta

from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.newsletter.models import Campaign, CampaignStatus

PART_D = ("campaigns", "mail", "stats")


def _create(*, actor, subject, preheader="", body="", newsletters, post=None, **fields):
    campaign = Campaign.objects.create(
        subject=subject,
        preheader=preheader,
        body=body,
        body_html=f"<p>{body}</p>",
        post=post,
        created_by=actor,
        **fields,
    )
    campaign.newsletters.set(newsletters)
    return campaign


def _campaigns() -> types.ModuleType:
    module = types.ModuleType("apps.newsletter.campaigns")

    def create_campaign(*, actor, subject, preheader="", body="", newsletters, post=None):
        return _create(
            actor=actor,
            subject=subject,
            preheader=preheader,
            body=body,
            newsletters=newsletters,
            post=post,
        )

    def campaign_from_post(*, actor, post, newsletters):
        return _create(
            actor=actor, subject=post.title, body=post.body, newsletters=newsletters, post=post
        )

    def update_campaign(*, actor, campaign, subject, preheader, body, newsletters):
        if campaign.status not in {CampaignStatus.DRAFT, CampaignStatus.SCHEDULED}:
            raise ValidationError("Only a draft or scheduled campaign can be changed.")
        campaign.subject, campaign.preheader, campaign.body = subject, preheader, body
        campaign.save()
        campaign.newsletters.set(newsletters)
        return campaign

    def send_test(*, actor, campaign):
        django_mail.send_mail(f"[Test] {campaign.subject}", campaign.body, None, [actor.email])

    def send_campaign(*, actor, campaign, at=None):
        if campaign.status != CampaignStatus.DRAFT:
            raise ValidationError("This campaign has already been sent or scheduled.")
        campaign.status = CampaignStatus.SCHEDULED if at else CampaignStatus.SENDING
        campaign.scheduled_at = at
        campaign.save()
        return campaign

    def cancel_campaign(*, actor, campaign):
        campaign.status = CampaignStatus.CANCELLED
        campaign.save()
        return campaign

    def email_post_when_live(*, actor, post, newsletters):
        return _create(
            actor=actor,
            subject=post.title,
            newsletters=newsletters,
            post=post,
            from_publish=True,
            status=CampaignStatus.WAITING,
        )

    for function in (
        create_campaign,
        campaign_from_post,
        update_campaign,
        send_test,
        send_campaign,
        cancel_campaign,
        email_post_when_live,
    ):
        setattr(module, function.__name__, function)
    return module


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    html: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)


def _mail() -> types.ModuleType:
    module = types.ModuleType("apps.newsletter.mail")

    def render_campaign(*, campaign, subscriber=None, delivery=None):
        html = (
            "<!doctype html><html><head><style>p{color:#333}</style></head><body>"
            f'<p style="margin:0">{campaign.body_html}</p></body></html>'
        )
        return RenderedMail(campaign.subject, html, campaign.body)

    module.render_campaign = render_campaign  # type: ignore[attr-defined]
    return module


@dataclass(frozen=True)
class CampaignStats:
    recipients: int
    sent: int
    failed: int
    failed_reasons: list[tuple[str, int]]
    bounced: int
    complained: int
    unsubscribed: int
    opened: int | None
    clicked: int | None


def _stats() -> types.ModuleType:
    module = types.ModuleType("apps.newsletter.stats")

    def campaign_stats(campaign):
        return CampaignStats(3, 2, 1, [("550 mailbox unavailable", 1)], 0, 0, 1, None, None)

    def subscriber_growth(days=90):
        today = timezone.localdate()
        return [(today - timedelta(days=days - i), i, 1, 0) for i in range(1, days + 1)]

    module.campaign_stats = campaign_stats  # type: ignore[attr-defined]
    module.subscriber_growth = subscriber_growth  # type: ignore[attr-defined]
    return module


def missing() -> list[str]:
    return [name for name in PART_D if importlib.util.find_spec(f"apps.newsletter.{name}") is None]


def install(monkeypatch) -> list[str]:
    """Put a stand-in in sys.modules for each part-D module that does not exist; say which."""
    makers = {"campaigns": _campaigns, "mail": _mail, "stats": _stats}
    faked = missing()
    for name in faked:
        monkeypatch.setitem(sys.modules, f"apps.newsletter.{name}", makers[name]())
    return faked
