"""The editor's newsletter pages: campaigns (write, preview, test, send), subscribers, import and
export, suppressions, and the results as charts.

Parse → call a service → render. The campaign services, the mail renderer and the numbers
come from apps.newsletter (campaigns, mail, stats); the subscriber list, import/export and
suppressions from apps.newsletter.directory, .imports and .suppressions. Every page needs
`newsletter.manage` (editors and admins); the export needs `newsletter.export` (admins).

The mail preview is served from its own URL into a sandboxed same-origin iframe: the mail's
inlined CSS needs inline styles, which the site's CSP forbids, so that one answer gets a
policy of its own (no scripts at all, sandboxed, framable by this origin only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

from csp.decorators import csp
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from apps.accounts.permissions import can
from apps.core.htmx import render_page_or_partial, wants_partial
from apps.core.languages import site_languages
from apps.dashboard.charts import bar_chart, line_chart
from apps.dashboard.forms.newsletter import (
    CampaignForm,
    CampaignFromPostForm,
    ImportForm,
    SendForm,
    SubscriberFilterForm,
    SuppressionForm,
    flat_errors,
)
from apps.dashboard.views.base import actor, dashboard_view, error_text, render_section
from apps.newsletter import campaigns as campaign_services
from apps.newsletter import mail as newsletter_mail
from apps.newsletter import stats
from apps.newsletter.directory import (
    STATUSES,
    campaigns_for_staff,
    subscriber_directory,
    suppression_list,
)
from apps.newsletter.imports import ImportReport, export_subscribers, import_subscribers
from apps.newsletter.mail import campaign_versions
from apps.newsletter.models import Campaign, CampaignStatus, Suppression
from apps.newsletter.suppressions import add_suppression, remove_suppression

SECTION = "newsletter"
MANAGE = "newsletter.manage"
PER_PAGE = 25
CAMPAIGNS = "dashboard/newsletter/campaigns.html"
EDITOR = "dashboard/newsletter/campaign.html"
NEW = "dashboard/newsletter/campaign_new.html"
STATS = "dashboard/newsletter/stats.html"
GROWTH = "dashboard/newsletter/growth.html"
SUBSCRIBERS = "dashboard/newsletter/subscribers.html"
IMPORT = "dashboard/newsletter/import.html"
SUPPRESSIONS = "dashboard/newsletter/suppressions.html"
EDITABLE = {CampaignStatus.DRAFT, CampaignStatus.SCHEDULED}
CANCELLABLE = {CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.WAITING}
# The sandboxed preview: the mail's own inline CSS and images, nothing else, no scripts.
PREVIEW_CSP: dict[str, list[Any]] = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:", "https:"],
    "font-src": ["'self'"],
    "frame-ancestors": ["'self'"],
    "form-action": ["'none'"],
    "base-uri": ["'none'"],
    "sandbox": [True],  # scripts, forms, popups and same-origin access all off
}


ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def preview_policy(view: ViewFunc) -> ViewFunc:
    """The preview's own CSP (django-csp's typing expects a view without URL arguments)."""
    return cast(ViewFunc, csp(PREVIEW_CSP)(view))


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(
        Campaign.objects.select_related("post", "created_by").prefetch_related("newsletters"),
        pk=pk,
    )


def _notify(request: HttpRequest, *, notice: str = "", error: str = "") -> None:
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)


# --------------------------------------------------------------------------
# Campaigns
# --------------------------------------------------------------------------


@require_safe
@never_cache
@dashboard_view(MANAGE)
def campaigns(request: HttpRequest) -> HttpResponse:
    page = Paginator(campaigns_for_staff(), PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "current": "campaigns"}
    return render_section(request, CAMPAIGNS, "campaign-results", SECTION, context)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view(MANAGE)
def campaign_new(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind") if request.method == "POST" else request.GET.get("kind")
    post_form = CampaignFromPostForm(prefix="from-post")
    write_form = CampaignForm(prefix="write")
    error = ""
    if request.method == "POST":
        try:
            if kind == "post":
                post_form = CampaignFromPostForm(request.POST, prefix="from-post")
                if post_form.is_valid():
                    campaign = campaign_services.campaign_from_post(
                        actor=actor(request),
                        post=post_form.cleaned_data["post"],
                        newsletters=list(post_form.cleaned_data["newsletters"]),
                    )
                    return _to_editor(request, campaign, gettext("Campaign created from the post."))
            else:
                write_form = CampaignForm(request.POST, prefix="write")
                if write_form.is_valid():
                    data = write_form.cleaned_data
                    campaign = campaign_services.create_campaign(
                        actor=actor(request),
                        subject=data["subject"],
                        preheader=data["preheader"],
                        body=data["body"],
                        newsletters=list(data["newsletters"]),
                    )
                    return _to_editor(request, campaign, gettext("Campaign saved as a draft."))
        except (ValidationError, PermissionDenied) as exc:
            error = error_text(exc)
    context = {
        "post_form": post_form,
        "write_form": write_form,
        "kind": "post" if kind == "post" else "write",
        "error": error,
        "current": "campaigns",
    }
    return render_section(request, NEW, "new-campaign", SECTION, context)


def _to_editor(request: HttpRequest, campaign: Campaign, notice: str) -> HttpResponse:
    url = campaign_url(campaign)
    messages.success(request, notice)
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)


def campaign_url(campaign: Campaign) -> str:
    return reverse("dashboard:newsletter_campaign", args=[campaign.pk])


def _editor_context(request: HttpRequest, campaign: Campaign, **extra: Any) -> dict[str, Any]:
    editable = campaign.status in EDITABLE
    form = extra.pop("form", None) or CampaignForm(
        prefix="write",
        initial={
            "subject": campaign.subject,
            "preheader": campaign.preheader,
            "body": campaign.body,
            "newsletters": list(campaign.newsletters.all()),
        },
    )
    return {
        "campaign": campaign,
        "form": form,
        "send_form": extra.pop("send_form", None) or SendForm(),
        "editable": editable,
        # A version in another language goes out with its campaign, never on its own.
        "can_send": campaign.status == CampaignStatus.DRAFT and campaign.translation_of_id is None,
        "languages": _campaign_languages(campaign),
        "can_cancel": campaign.status in CANCELLABLE,
        "has_results": campaign.status in {CampaignStatus.SENDING, CampaignStatus.SENT},
        "current": "campaigns",
        **extra,
    }


def _campaign_languages(campaign: Campaign) -> list[dict[str, Any]]:
    """The campaign's language and its versions: one row per site language (one query)."""
    if len(settings.SITE_LANGUAGES) < 2:
        return []
    source = campaign.translation_of or campaign
    versions = campaign_versions(source)
    own = source.language or settings.LANGUAGE_CODE
    return [
        {
            "language": language,
            "is_source": language.code == own,
            "campaign": source if language.code == own else versions.get(language.code),
        }
        for language in site_languages()
    ]


@require_POST
@dashboard_view(MANAGE)
def campaign_version_create(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    try:
        version = campaign_services.create_campaign_version(
            actor=actor(request), campaign=campaign, language=request.POST.get("language", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        return _act(request, campaign, error=error_text(exc))
    return _to_editor(
        request,
        version,
        gettext("Started a version to translate. Subscribers in its language get it."),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view(MANAGE)
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    notice = error = ""
    form = None
    if request.method == "POST":
        form = CampaignForm(request.POST, prefix="write")
        if not form.is_valid():
            error = flat_errors(form)
        else:
            data = form.cleaned_data
            try:
                campaign = campaign_services.update_campaign(
                    actor=actor(request),
                    campaign=campaign,
                    subject=data["subject"],
                    preheader=data["preheader"],
                    body=data["body"],
                    newsletters=list(data["newsletters"]),
                )
            except (ValidationError, PermissionDenied) as exc:
                error = error_text(exc)
            else:
                notice = gettext("Saved. The preview shows the new version.")
                campaign = _campaign(pk)
                form = None
        if not wants_partial(request):
            _notify(request, notice=notice, error=error)
            if not error:
                return redirect(campaign_url(campaign))
    context = _editor_context(request, campaign, form=form, notice=notice, error=error)
    return render_section(request, EDITOR, "campaign-panel", SECTION, context)


def _act(
    request: HttpRequest, campaign: Campaign, *, notice: str = "", error: str = "", **extra: Any
) -> HttpResponse:
    if wants_partial(request):
        context = _editor_context(request, campaign, notice=notice, error=error, **extra)
        return render_page_or_partial(request, EDITOR, "campaign-panel", context)
    _notify(request, notice=notice, error=error)
    return redirect(campaign_url(campaign))


@require_POST
@dashboard_view(MANAGE)
def campaign_test(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    user = actor(request)
    try:
        campaign_services.send_test(actor=user, campaign=campaign)
    except (ValidationError, PermissionDenied) as exc:
        return _act(request, campaign, error=error_text(exc))
    return _act(
        request, campaign, notice=gettext("Test sent to %(email)s.") % {"email": user.email}
    )


@require_POST
@dashboard_view(MANAGE)
def campaign_send(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        return _act(request, campaign, error=flat_errors(form), send_form=form)
    at = form.cleaned_data["at"]
    try:
        campaign = campaign_services.send_campaign(actor=actor(request), campaign=campaign, at=at)
    except (ValidationError, PermissionDenied) as exc:
        return _act(request, campaign, error=error_text(exc), send_form=form)
    if at is not None:
        local = timezone.localtime(at)
        # Translators: Django's date filter syntax, e.g. "Mar 5, 2025, 14:30".
        when = formats.date_format(local, gettext("M j, Y, H:i"))
        notice = gettext("Scheduled for %(when)s.") % {"when": when}
    else:
        notice = gettext("Sending now. The results page fills in as the mail goes out.")
    return _act(request, _campaign(pk), notice=notice)


@require_POST
@dashboard_view(MANAGE)
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    try:
        campaign_services.cancel_campaign(actor=actor(request), campaign=campaign)
    except (ValidationError, PermissionDenied) as exc:
        return _act(request, campaign, error=error_text(exc))
    return _act(request, _campaign(pk), notice=gettext("Cancelled: it will not be sent."))


@require_safe
@never_cache
@xframe_options_sameorigin
@preview_policy
@dashboard_view(MANAGE)
def campaign_preview(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    mail = newsletter_mail.render_campaign(campaign=campaign)
    if request.GET.get("part") == "text":
        return HttpResponse(mail.text, content_type="text/plain; charset=utf-8")
    return HttpResponse(mail.html, content_type="text/html; charset=utf-8")


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    text: str
    count: int | None


def failure_reasons(numbers: stats.CampaignStats) -> list[Reason]:
    """The stats' failure reasons as (text, count) rows."""
    return [Reason(item.reason, item.count) for item in numbers.reasons]


RESULT_ROWS = (
    ("recipients", _("Recipients")),
    ("sent", _("Sent")),
    ("failed", _("Failed")),
    ("bounced", _("Bounced")),
    ("complained", _("Complained")),
    ("unsubscribed", _("Unsubscribed")),
    ("opened", _("Opened")),
    ("clicked", _("Clicked")),
)


def result_rows(numbers: Any) -> list[tuple[str, int]]:
    """(label, value) for each number the stats have; opens and clicks only when tracked."""
    rows = []
    for key, label in RESULT_ROWS:
        value = getattr(numbers, key, None)
        if value is not None:
            rows.append((str(label), int(value)))
    return rows


@require_safe
@never_cache
@dashboard_view(MANAGE)
def campaign_stats(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(pk)
    numbers = stats.campaign_stats(campaign)
    rows = result_rows(numbers)
    context = {
        "campaign": campaign,
        "rows": rows,
        "chart": bar_chart(rows),
        "reasons": failure_reasons(numbers),
        "tracking": getattr(numbers, "opened", None) is not None,
        "current": "campaigns",
    }
    return render_section(request, STATS, "campaign-results", SECTION, context)


GROWTH_DAYS = {"30": 30, "90": 90, "365": 365}


def growth_context(series: Iterable[tuple[date, int, int, int]], days: int) -> dict[str, Any]:
    rows = list(series)
    return {
        "rows": rows,
        "chart": line_chart([(day, total) for day, total, _, _ in rows]),
        "days": days,
        "ranges": list(GROWTH_DAYS.values()),
        "new_total": sum(new for _, _, new, _ in rows),
        "left_total": sum(left for _, _, _, left in rows),
        "current": "growth",
    }


@require_safe
@never_cache
@dashboard_view(MANAGE)
def growth(request: HttpRequest) -> HttpResponse:
    days = GROWTH_DAYS.get(request.GET.get("days", ""), 90)
    series = stats.subscriber_growth(days=days)
    return render_section(request, GROWTH, "growth-chart", SECTION, growth_context(series, days))


# --------------------------------------------------------------------------
# Subscribers, import and export
# --------------------------------------------------------------------------


def _subscribers_context(request: HttpRequest) -> dict[str, Any]:
    form = SubscriberFilterForm(request.GET)
    page = Paginator(subscriber_directory(**form.filters()), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return {
        "form": form,
        "page": page,
        "statuses": STATUSES,
        "can_export": can(actor(request), "newsletter.export"),
        "current": "subscribers",
    }


@require_safe
@never_cache
@dashboard_view(MANAGE)
def subscribers(request: HttpRequest) -> HttpResponse:
    return render_section(
        request, SUBSCRIBERS, "subscriber-results", SECTION, _subscribers_context(request)
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view(MANAGE)
def subscribers_import(request: HttpRequest) -> HttpResponse:
    report: ImportReport | None = None
    error = ""
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = import_subscribers(
                    actor=actor(request),
                    file=data["file"],
                    newsletters=list(data["newsletters"]),
                    consent_confirmed=data["consent"],
                    note=data["note"],
                )
            except (ValidationError, PermissionDenied) as exc:
                error = error_text(exc)
            else:
                if report.ok:
                    form = ImportForm()
        else:
            error = flat_errors(form)
    else:
        form = ImportForm()
    context = {"form": form, "report": report, "error": error, "current": "subscribers"}
    return render_section(request, IMPORT, "import-form", SECTION, context)


@require_safe
@never_cache
@dashboard_view("newsletter.export")
def subscribers_export(request: HttpRequest) -> StreamingHttpResponse:
    lines = export_subscribers(actor=actor(request))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="subscribers-{stamp}.csv"'
    return response


# --------------------------------------------------------------------------
# Suppressions
# --------------------------------------------------------------------------


def _suppressions_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    q = request.GET.get("q", "").strip()[:254]
    page = Paginator(suppression_list(q=q), PER_PAGE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "q": q,
        "add_form": extra.pop("add_form", None) or SuppressionForm(),
        "current": "suppressions",
        **extra,
    }


@require_safe
@never_cache
@dashboard_view(MANAGE)
def suppressions(request: HttpRequest) -> HttpResponse:
    return render_section(
        request, SUPPRESSIONS, "suppression-results", SECTION, _suppressions_context(request)
    )


def _suppressions_answer(
    request: HttpRequest, *, notice: str = "", error: str = "", **extra: Any
) -> HttpResponse:
    if wants_partial(request):
        context = _suppressions_context(request, notice=notice, error=error, **extra)
        return render_page_or_partial(request, SUPPRESSIONS, "suppression-results", context)
    _notify(request, notice=notice, error=error)
    return redirect("dashboard:newsletter_suppressions")


@require_POST
@dashboard_view(MANAGE)
def suppression_add(request: HttpRequest) -> HttpResponse:
    form = SuppressionForm(request.POST)
    if not form.is_valid():
        return _suppressions_answer(request, error=flat_errors(form), add_form=form)
    try:
        suppression = add_suppression(
            actor=actor(request),
            email=form.cleaned_data["email"],
            detail=form.cleaned_data["detail"],
        )
    except (ValidationError, PermissionDenied) as exc:
        return _suppressions_answer(request, error=error_text(exc), add_form=form)
    return _suppressions_answer(
        request,
        notice=gettext("%(email)s is suppressed: no newsletter will mail it.")
        % {"email": suppression.email},
    )


@require_POST
@dashboard_view(MANAGE)
def suppression_remove(request: HttpRequest, pk: int) -> HttpResponse:
    suppression = get_object_or_404(Suppression, pk=pk)
    try:
        remove_suppression(actor=actor(request), suppression=suppression)
    except PermissionDenied as exc:
        return _suppressions_answer(request, error=error_text(exc))
    return _suppressions_answer(
        request,
        notice=gettext("%(email)s is off the suppression list.") % {"email": suppression.email},
    )
