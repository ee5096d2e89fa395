"""Campaign services: write, test, send now or later, email a post when it goes live.

Every service takes the acting user and checks `newsletter.manage` itself, runs in one
transaction and starts background work only after commit. Sending goes through the task
worker (`send_campaign_task`, which queues the recipients and runs the send loop in
apps.newsletter.delivery in slices of NEWSLETTER_TASK_SECONDS). With the immediate task
backend (the embedded default) nothing can run later, so there `send_due_campaigns`, run
every few seconds by the in-process periodic runner, does the sending itself.

`send_due_campaigns` is the periodic sweep (`manage.py send_campaigns`, the
send-campaigns CronJob): it starts scheduled campaigns that are due and waiting ones whose
post is now published (blog knows nothing of newsletters, so the newsletter side looks),
and restarts a sending campaign whose worker died.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import default_task_backend, task

from apps.accounts.permissions import can
from apps.blog.models import Post
from apps.core.markdown import markdown_to_safe_html
from apps.newsletter import delivery, mail
from apps.newsletter.models import Campaign, CampaignStatus, Delivery, DeliveryStatus, Newsletter

logger = structlog.get_logger("inkwell.newsletter")

C = CampaignStatus
_EDITABLE = (C.DRAFT, C.SCHEDULED)


def _require_manager(actor: Any) -> None:
    if not can(actor, "newsletter.manage"):
        raise PermissionDenied(_("You may not manage newsletters."))


def _newsletter_error(chosen: list[Newsletter]) -> str | None:
    if not chosen:
        return _("Choose at least one newsletter.")
    if any(not letter.is_active for letter in chosen):
        return _("A chosen newsletter is no longer active.")
    return None


def _newsletter_list(newsletters: Iterable[Newsletter]) -> list[Newsletter]:
    chosen = list(newsletters)
    if error := _newsletter_error(chosen):
        raise ValidationError({"newsletters": error})
    return chosen


def _fill(
    campaign: Campaign,
    *,
    subject: str,
    preheader: str,
    body: str,
    newsletters: list[Newsletter] | None = None,
) -> None:
    """Set the content; raise one ValidationError naming every field that is wrong."""
    campaign.subject = (subject or "").strip()
    campaign.preheader = (preheader or "").strip()
    campaign.body = body or ""
    campaign.body_html = markdown_to_safe_html(campaign.body)
    errors: dict[str, str] = {}
    if not campaign.subject:
        errors["subject"] = _("A campaign needs a subject.")
    elif len(campaign.subject) > 200:
        errors["subject"] = _("Keep the subject to 200 characters.")
    if len(campaign.preheader) > 200:
        errors["preheader"] = _("Keep the preview text to 200 characters.")
    if not campaign.body.strip() and campaign.post_id is None:
        errors["body"] = _("Write the mail, or build it from a post.")
    if newsletters is not None and (error := _newsletter_error(newsletters)):
        errors["newsletters"] = error
    if errors:
        raise ValidationError(errors)


def _from_post(campaign: Campaign, post: Post) -> None:
    campaign.post = post
    _fill(
        campaign,
        subject=post.title,
        preheader=(post.subtitle or post.excerpt)[:200],
        body=post.body,
    )


@transaction.atomic
def create_campaign(
    *,
    actor: Any,
    subject: str,
    preheader: str = "",
    body: str = "",
    newsletters: Iterable[Newsletter],
    post: Post | None = None,
) -> Campaign:
    """A draft campaign written in Markdown (sanitised to HTML), optionally tied to a post."""
    _require_manager(actor)
    chosen = list(newsletters)
    campaign = Campaign(created_by=actor, post=post)
    _fill(campaign, subject=subject, preheader=preheader, body=body, newsletters=chosen)
    campaign.save()
    campaign.newsletters.set(chosen)
    return campaign


@transaction.atomic
def campaign_from_post(*, actor: Any, post: Post, newsletters: Iterable[Newsletter]) -> Campaign:
    """A draft campaign carrying a published post: its title as subject, its body as mail."""
    _require_manager(actor)
    if post.status != Post.Status.PUBLISHED:
        raise ValidationError({"post": _("Only a published post can be mailed this way.")})
    chosen = _newsletter_list(newsletters)
    campaign = Campaign(created_by=actor)
    _from_post(campaign, post)
    campaign.save()
    campaign.newsletters.set(chosen)
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def update_campaign(
    *,
    actor: Any,
    campaign: Campaign,
    subject: str,
    preheader: str,
    body: str,
    newsletters: Iterable[Newsletter],
) -> Campaign:
    """Edit a draft or scheduled campaign (one already sending is fixed)."""
    _require_manager(actor)
    current = _locked(campaign)
    if current.status not in _EDITABLE:
        raise ValidationError(_("Only a draft or scheduled campaign can be changed."))
    chosen = list(newsletters)
    _fill(current, subject=subject, preheader=preheader, body=body, newsletters=chosen)
    current.save()
    current.newsletters.set(chosen)
    return current


def send_test(*, actor: Any, campaign: Campaign) -> None:
    """Mail the campaign, with sample links, to the actor's own address, now."""
    _require_manager(actor)
    address = getattr(actor, "email", "")
    if not address:
        raise ValidationError(_("Your account has no email address to send the test to."))
    rendered = mail.render_campaign(campaign=campaign)
    headers = {k: v for k, v in rendered.headers.items() if k != "Message-ID"}
    message = EmailMultiAlternatives(
        subject=f"[Test] {rendered.subject}",
        body=rendered.text,
        from_email=mail.from_address(),
        to=[address],
        headers=headers,
        connection=delivery.backend_connection(),
    )
    message.attach_alternative(rendered.html, "text/html")
    try:
        message.send()
    except Exception as exc:  # any provider's refusal: tell the editor what happened
        logger.warning("newsletter.test_failed", campaign_id=campaign.pk, error=str(exc))
        raise ValidationError(
            _("The test mail could not be sent: %(reason)s") % {"reason": exc}
        ) from exc


def _start(campaign: Campaign) -> None:
    """Make a locked campaign SENDING and start its task after commit."""
    if campaign.from_publish and campaign.post_id is not None:
        # The post may have been edited since the editor chose to mail it: send what is live.
        _from_post(campaign, campaign.post)  # type: ignore[arg-type]
    campaign.status = C.SENDING
    campaign.started_at = timezone.now()
    campaign.scheduled_at = campaign.scheduled_at or campaign.started_at
    campaign.save()
    campaign_id = campaign.pk

    def kick() -> None:
        _enqueue_send(campaign_id)

    transaction.on_commit(kick)
    logger.info("newsletter.campaign_started", campaign_id=campaign_id)


def _enqueue_send(campaign_id: int, *, at: datetime | None = None) -> None:
    # With the immediate backend an enqueue would send the whole campaign inside the
    # request; there the periodic runner's send_due_campaigns sends instead.
    if default_task_backend.supports_defer:
        runner = send_campaign_task if at is None else send_campaign_task.using(run_after=at)
        runner.enqueue(campaign_id)


@transaction.atomic
@transaction.atomic
def create_campaign_version(*, actor: Any, campaign: Campaign, language: str) -> Campaign:
    """Start the campaign's version in `language`: a copy to translate, sent with it.

    Subscribers whose language is `language` get this version when the campaign is sent.
    Refused for a language the site does not publish in, the campaign's own, a second
    version in one language, or a campaign that has gone out.
    """
    _require_manager(actor)
    source = _locked(campaign.translation_of or campaign)
    own = source.language or settings.LANGUAGE_CODE
    if language not in settings.SITE_LANGUAGES:
        raise ValidationError({"language": _("This site does not publish in that language.")})
    if language == own:
        raise ValidationError({"language": _("The campaign is already in that language.")})
    if source.status not in _EDITABLE:
        raise ValidationError(_("This campaign has already been sent or cancelled."))
    if Campaign.objects.filter(translation_of=source, language=language).exists():
        raise ValidationError({"language": _("This campaign already has that version.")})
    version = Campaign(
        created_by=actor,
        post=source.post,
        subject=source.subject,
        preheader=source.preheader,
        body=source.body,
        body_html=source.body_html,
        language=language,
        translation_of=source,
    )
    version.save()
    version.newsletters.set(source.newsletters.all())
    return version


def send_campaign(*, actor: Any, campaign: Campaign, at: datetime | None = None) -> Campaign:
    """Send a draft now, or schedule it for `at`; a scheduled one can be moved or sent now."""
    _require_manager(actor)
    if campaign.translation_of_id is not None:
        raise ValidationError(
            _("This is a version in another language: send the campaign it belongs to.")
        )
    current = _locked(campaign)
    if current.status not in _EDITABLE:
        raise ValidationError(_("This campaign has already been sent or cancelled."))
    if not current.newsletters.exists():
        raise ValidationError({"newsletters": _("Choose at least one newsletter.")})
    if at is not None and at > timezone.now():
        current.status = C.SCHEDULED
        current.scheduled_at = at
        current.save(update_fields=["status", "scheduled_at", "updated_at"])
        return current
    if at is not None:
        raise ValidationError({"at": _("Choose a time in the future, or send now.")})
    _start(current)
    return current


@transaction.atomic
def cancel_campaign(*, actor: Any, campaign: Campaign) -> Campaign:
    """Stop a campaign: nothing more is sent (messages already handed over stay sent)."""
    _require_manager(actor)
    current = _locked(campaign)
    if current.status in (C.SENT, C.CANCELLED):
        raise ValidationError(_("This campaign has already been sent or cancelled."))
    was_sending = current.status == C.SENDING
    current.status = C.CANCELLED
    current.finished_at = timezone.now() if was_sending else None
    current.save(update_fields=["status", "finished_at", "updated_at"])
    if was_sending:
        # Rows a worker holds right now finish as they are; the rest are never claimed.
        Delivery.objects.filter(campaign=current, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SKIPPED, error="Campaign cancelled."
        )
    return current


@transaction.atomic
def email_post_when_live(*, actor: Any, post: Post, newsletters: Iterable[Newsletter]) -> Campaign:
    """Mail this post to these newsletters once it is published (now, if it already is).

    Idempotent for the publish step: asking again while it waits changes the newsletters;
    a post already mailed this way is refused (a database constraint backs this up).
    """
    _require_manager(actor)
    chosen = _newsletter_list(newsletters)
    if post.status == Post.Status.ARCHIVED:
        raise ValidationError({"post": _("This post is archived.")})
    existing = (
        Campaign.objects.select_for_update()
        .filter(post=post, from_publish=True)
        .exclude(status=C.CANCELLED)
        .first()
    )
    if existing is not None:
        if existing.status != C.WAITING:
            raise ValidationError(_("This post has already been emailed to subscribers."))
        existing.newsletters.set(chosen)
        campaign = existing
    else:
        campaign = Campaign(created_by=actor, from_publish=True, status=C.WAITING)
        _from_post(campaign, post)
        try:
            with transaction.atomic():
                campaign.save()
        except IntegrityError as exc:  # a concurrent request made it first
            raise ValidationError(
                _("This post is already set to be emailed to subscribers.")
            ) from exc
        campaign.newsletters.set(chosen)
    if _post_is_live(post):
        _start(campaign)
    elif post.published_at is not None and default_task_backend.supports_defer:
        # Start at the post's time; the sweep catches it if the post goes live later.
        campaign_id, at = campaign.pk, post.published_at
        transaction.on_commit(
            lambda: start_waiting_campaign_task.using(run_after=at).enqueue(campaign_id)
        )
    return campaign


def _post_is_live(post: Post) -> bool:
    return (
        post.status == Post.Status.PUBLISHED
        and post.published_at is not None
        and post.published_at <= timezone.now()
    )


@transaction.atomic
def start_if_due(*, campaign_id: int) -> bool:
    """Start a scheduled campaign whose time has come or a waiting one whose post is live."""
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("post")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        return False
    now = timezone.now()
    due = (
        campaign.status == C.SCHEDULED
        and campaign.scheduled_at is not None
        and campaign.scheduled_at <= now
    ) or (
        campaign.status == C.WAITING and campaign.post is not None and _post_is_live(campaign.post)
    )
    if due:
        _start(campaign)
    return due


def send_due_campaigns(*, budget_seconds: float | None = None) -> dict[str, int]:
    """The periodic sweep: start what is due, restart stalled sends; counts of each.

    With the immediate task backend it also sends (for at most `budget_seconds`, by default
    two periodic rounds), since there is no worker to do it.
    """
    now = timezone.now()
    scheduled = Campaign.objects.filter(status=C.SCHEDULED, scheduled_at__lte=now)
    waiting = Campaign.objects.filter(
        status=C.WAITING, post__status=Post.Status.PUBLISHED, post__published_at__lte=now
    )
    started = sum(
        start_if_due(campaign_id=pk)
        for pk in list(scheduled.values_list("pk", flat=True))
        + list(waiting.values_list("pk", flat=True))
    )
    sending = list(Campaign.objects.filter(status=C.SENDING).values_list("pk", flat=True))
    resumed = 0
    if default_task_backend.supports_defer:
        for pk in stalled_campaigns(sending, now=now):
            _enqueue_send(pk)
            resumed += 1
    else:
        # In-process, other periodic jobs (publishing posts) wait while this runs: keep the
        # slice short, a couple of rounds' worth.
        default = min(settings.NEWSLETTER_TASK_SECONDS, 2 * settings.INPROCESS_PERIODIC_SECONDS)
        budget = default if budget_seconds is None else budget_seconds
        deadline = time.monotonic() + budget
        for pk in sending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            delivery.run_campaign(campaign_id=pk, budget_seconds=remaining)
            resumed += 1
    return {"started": started, "resumed": resumed}


def stalled_campaigns(campaign_ids: list[int], *, now: datetime) -> list[int]:
    """Sending campaigns nobody is working on though something is due (a worker died)."""
    if not campaign_ids:
        return []
    lease = timedelta(seconds=settings.NEWSLETTER_CLAIM_LEASE_SECONDS)
    recent = Delivery.objects.filter(campaign=OuterRef("pk"), claimed_at__gte=now - lease)
    quiet = Campaign.objects.filter(pk__in=campaign_ids).filter(~Exists(recent))
    stalled = []
    for campaign in quiet.only("pk", "queued_at", "started_at"):
        if campaign.queued_at is None:
            if campaign.started_at is None or campaign.started_at < now - lease:
                stalled.append(campaign.pk)
            continue
        due_at = delivery.next_due_at(campaign_id=campaign.pk)
        if due_at is not None and due_at <= now:
            stalled.append(campaign.pk)
    return stalled


@task()
def send_campaign_task(campaign_id: int) -> dict[str, Any]:
    """Send a slice of a campaign; queue the next slice if anything is left."""
    result = delivery.run_campaign(campaign_id=campaign_id)
    if not result.finished and result.next_run_at is not None:
        _enqueue_send(campaign_id, at=max(result.next_run_at, timezone.now()))
    return {
        "sent": result.sent,
        "retried": result.retried,
        "failed": result.failed,
        "finished": result.finished,
    }


@task()
def start_waiting_campaign_task(campaign_id: int) -> bool:
    """Start a waiting campaign at its post's publication time (if the post is live)."""
    return start_if_due(campaign_id=campaign_id)


@task()
def send_due_campaigns_task() -> dict[str, int]:
    return send_due_campaigns()
