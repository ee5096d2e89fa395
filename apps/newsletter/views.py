"""Public newsletter pages: sign-up, confirm, preferences, unsubscribe. Thin: parse, call, render.

CSRF: the sign-up boxes sit in pages shared through the page cache, which carry no token
(templates/base.html). The box fetches one from `csrf_field` when it comes into view (htmx);
without JavaScript it is a GET form to /newsletter/, a page with a token. Every POST here is
checked, except the one-click unsubscribe (RFC 8058): a mail client posts
`List-Unsubscribe=One-Click` with no cookie and no token, so that view is exempt and safe by
construction: it acts only on the signed token in its URL, and doing it twice is doing it once.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts.models import User
from apps.core.htmx import wants_partial
from apps.core.http import client_ip
from apps.newsletter import selectors, subscribers, tokens
from apps.newsletter.forms import PreferencesForm, SignupForm
from apps.newsletter.models import Source, SubscriptionStatus
from apps.newsletter.templatetags.newsletter_tags import BOX_SOURCES

THANKS = {
    True: _("You’re subscribed."),
    False: _("Check your inbox: we sent a link to confirm your subscription."),
}
BAD_LINK = {
    "expired": _("This link has expired. Sign up again and we’ll send you a new one."),
    "invalid": _(
        "This link is not valid: it may have been cut short or changed. "
        "Use the link from the newest email, or sign up again."
    ),
}


def _link_error(request: HttpRequest, error: tokens.BadTokenError) -> HttpResponse:
    reason = "expired" if str(error) == "expired" else "invalid"
    return render(request, "newsletter/link_error.html", {"message": BAD_LINK[reason]}, status=400)


def _page_context(request: HttpRequest, form: SignupForm) -> dict[str, Any]:
    user = request.user
    subscriber = selectors.subscriber_for_user(user)
    mine = selectors.subscriptions_of(subscriber)
    offered = list(selectors.newsletters_offered())
    return {
        "form": form,
        "newsletters": [(n, mine.get(n.pk)) for n in offered],
        "statuses": SubscriptionStatus,
        "preferences_url": tokens.preferences_url(subscriber) if subscriber is not None else "",
    }


@require_safe
@never_cache
def newsletter_page(request: HttpRequest) -> HttpResponse:
    """Every newsletter, with the sign-up form (and one-click buttons for a signed-in reader).

    A sign-up box used without JavaScript arrives here with `?email=` filled in.
    """
    source = request.GET.get("source", "")
    initial = {
        "email": request.GET.get("email", "")[:320],
        "source": source if source in BOX_SOURCES else Source.PAGE,
        "newsletters": list(selectors.default_newsletters()),
    }
    context = _page_context(request, SignupForm(initial=initial))
    context["from_box"] = bool(initial["email"])
    return render(request, "newsletter/page.html", context)


@require_safe
@never_cache
def csrf_field(request: HttpRequest) -> HttpResponse:
    """The hidden CSRF field a sign-up box on a cached page fetches before it posts."""
    return HttpResponse(
        format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        )
    )


@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    data = request.POST.copy()
    user = request.user
    if data.get("source") == Source.ACCOUNT and isinstance(user, User):
        data["email"] = user.email  # the one-click button subscribes the reader's own address
    form = SignupForm(data)
    status = 400
    if form.is_valid():
        chosen = form.cleaned_data["newsletters"]
        try:
            signup = subscribers.subscribe(
                email=form.cleaned_data["email"],
                newsletters=list(chosen) if chosen else None,
                source=form.cleaned_data["source"],
                user=user,
                ip=client_ip(request),
                language=form.cleaned_data.get("language") or None,
            )
        except ValidationError as error:
            status = 429 if error.code == "rate_limited" else 400
            field = "email" if error.code in {"required", "invalid"} else None
            form.add_error(field, error)
        else:
            # The same answer for every address; only a signed-in reader's own verified
            # address is told it is subscribed (it is theirs: that reveals nothing).
            subscribed = signup.owner and not signup.pending and not signup.suppressed
            if form.cleaned_data["source"] == Source.ACCOUNT and not wants_partial(request):
                # The signed-in one-click: back to the list, which now shows the new status.
                messages.success(request, THANKS[subscribed])
                return redirect("newsletter:page")
            context = {"signup": signup, "subscribed": subscribed}
            partial = wants_partial(request)
            return render(
                request, "newsletter/_thanks.html" if partial else "newsletter/thanks.html", context
            )
    source = data.get("source", "")
    if wants_partial(request):
        # 200, not 4xx: htmx swaps only successful answers, and the errors must show.
        if source in BOX_SOURCES:
            return render(
                request, "newsletter/_box_form.html", {"form": form, "source": source, "live": True}
            )
        return render(request, "newsletter/page.html#signup", _page_context(request, form))
    return render(request, "newsletter/page.html", _page_context(request, form), status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links; only a person should confirm); POST confirms."""
    try:
        if request.method == "POST":
            result = subscribers.confirm(token=token)
            return render(request, "newsletter/confirmed.html", {"result": result})
        subscriber = selectors.subscriber_for_confirm_token(token)
    except tokens.BadTokenError as error:
        return _link_error(request, error)
    waiting = list(selectors.waiting_for_confirmation(subscriber))
    if not waiting and subscriber.confirmed_at is not None:
        result = subscribers.Confirmation(subscriber=subscriber, activated=[], already=True)
        return render(request, "newsletter/confirmed.html", {"result": result})
    return render(
        request,
        "newsletter/confirm.html",
        {"subscriber": subscriber, "newsletters": [s.newsletter for s in waiting]},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """Change or drop subscriptions from the link in every mail, without signing in."""
    try:
        subscriber, _ = selectors.subscriber_for_manage_token(token)
    except tokens.BadTokenError as error:
        return _link_error(request, error)
    saved = ""
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "forget":
            subscribers.forget_subscriber(token=token)
            return render(request, "newsletter/forgotten.html")
        if action == "unsubscribe":
            subscribers.unsubscribe(subscriber=subscriber, source=Source.PREFERENCES)
            saved = "unsubscribed"
        else:
            form = PreferencesForm(request.POST)
            if form.is_valid():
                subscribers.update_preferences(
                    subscriber=subscriber, newsletters=form.cleaned_data["newsletters"]
                )
                saved = "saved"
    mine = selectors.subscriptions_of(subscriber)
    active = [pk for pk, s in mine.items() if s.status == SubscriptionStatus.ACTIVE]
    context = {
        "subscriber": subscriber,
        "form": PreferencesForm(initial={"newsletters": active}),
        "pending": [s.newsletter for s in mine.values() if s.status == SubscriptionStatus.PENDING],
        "saved": saved,
        "token": token,
    }
    name = "newsletter/preferences.html"
    return render(request, f"{name}#preferences" if wants_partial(request) else name, context)


@csrf_exempt  # RFC 8058 one-click: see the module docstring for why this is safe.
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: one button. POST (the button, or a mail client's one-click): unsubscribe."""
    try:
        subscriber, campaign_id = selectors.subscriber_for_manage_token(token)
    except tokens.BadTokenError as error:
        return _link_error(request, error)
    newsletters = selectors.newsletters_of_campaign(campaign_id)
    context: dict[str, Any] = {
        "subscriber": subscriber,
        "newsletters": newsletters,
        "preferences_url": tokens.preferences_url(subscriber),
    }
    if request.method != "POST":  # GET and HEAD only show the button
        return render(request, "newsletter/unsubscribe.html", context)
    subscribers.unsubscribe(
        subscriber=subscriber,
        newsletters=newsletters,
        campaign_id=campaign_id,
        source="one-click" if "List-Unsubscribe" in request.POST else "unsubscribe-page",
    )
    context["done"] = True
    return HttpResponse(render_to_string("newsletter/unsubscribe.html", context, request))
