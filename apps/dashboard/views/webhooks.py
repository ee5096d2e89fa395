"""The admins' webhook pages: endpoints (add, edit, delete, secret, test, switch on and off)
and each endpoint's deliveries with their attempts (redeliver one).

Parse → call apps.webhooks.services → render. Every page needs `settings.manage` (admins);
the services check it again. A signing secret is shown once after the endpoint is created
or its secret rotated, and again when an admin asks for it (a POST, so it never sits in a
URL, a cached page or the browser history).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from apps.core.htmx import render_page_or_partial, wants_partial
from apps.dashboard.views.base import actor, dashboard_view, error_text, render_section
from apps.webhooks import services
from apps.webhooks.events import ALL, EVENTS
from apps.webhooks.forms import EndpointForm
from apps.webhooks.models import Delivery, Endpoint
from apps.webhooks.selectors import deliveries_for_endpoint, endpoints_for_admin

SECTION = "webhooks"
MANAGE = "settings.manage"
DELIVERIES_PER_PAGE = 25
LIST = "dashboard/webhooks/endpoints.html"
FORM = "dashboard/webhooks/endpoint_form.html"
DETAIL = "dashboard/webhooks/endpoint.html"
# The endpoint whose secret the next detail page shows once (set when it is created).
REVEAL_KEY = "webhooks.reveal"


def _endpoint(pk: int) -> Endpoint:
    return get_object_or_404(Endpoint, pk=pk)


def _detail_url(endpoint: Endpoint) -> str:
    return reverse("dashboard:webhook_detail", args=[endpoint.pk])


def _go(request: HttpRequest, url: str, notice: str = "") -> HttpResponse:
    if notice:
        messages.success(request, notice)
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)


@require_safe
@never_cache
@dashboard_view(MANAGE)
def endpoints(request: HttpRequest) -> HttpResponse:
    context = {"endpoints": list(endpoints_for_admin()), "events": EVENTS}
    return render_section(request, LIST, "endpoint-list", SECTION, context)


def _save(request: HttpRequest, form: EndpointForm, endpoint: Endpoint | None) -> Endpoint:
    data = form.cleaned_data
    fields = {
        "url": data["url"],
        "events": data["events"],
        "description": data["description"],
        "request": request,
    }
    if endpoint is None:
        return services.create_endpoint(actor=actor(request), **fields)
    return services.update_endpoint(actor=actor(request), endpoint=endpoint, **fields)


def _form_page(request: HttpRequest, endpoint: Endpoint | None) -> HttpResponse:
    if request.method == "POST":
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                saved = _save(request, form, endpoint)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
            else:
                if endpoint is None:
                    request.session[REVEAL_KEY] = saved.pk
                    return _go(request, _detail_url(saved), gettext("Endpoint added."))
                return _go(request, _detail_url(saved), gettext("Endpoint saved."))
    elif endpoint is not None:
        form = EndpointForm(
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "events": endpoint.events,
            }
        )
    else:
        form = EndpointForm(initial={"events": [ALL]})
    context = {"form": form, "endpoint": endpoint, "events": EVENTS}
    return render_section(request, FORM, "endpoint-form", SECTION, context)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view(MANAGE)
def endpoint_new(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view(MANAGE)
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, _endpoint(pk))


def _detail_context(request: HttpRequest, endpoint: Endpoint, **extra: Any) -> dict[str, Any]:
    status = request.GET.get("status", "")
    page = Paginator(deliveries_for_endpoint(endpoint, status=status), DELIVERIES_PER_PAGE)
    return {
        "endpoint": endpoint,
        "page": page.get_page(request.GET.get("page")),
        "status": status if status in Delivery.Status.values else "",
        "statuses": Delivery.Status.choices,
        "all_events": ALL in endpoint.events,
        **extra,
    }


@require_safe
@never_cache
@dashboard_view(MANAGE)
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(pk)
    secret = ""
    if request.session.get(REVEAL_KEY) == endpoint.pk:
        # Shown once, right after it was made; "Show the secret" shows it again.
        del request.session[REVEAL_KEY]
        secret = endpoint.secret
    context = _detail_context(request, endpoint, secret=secret, fresh=bool(secret))
    return render_section(request, DETAIL, "webhook-deliveries", SECTION, context)


def _act(
    request: HttpRequest, endpoint: Endpoint, *, notice: str = "", **extra: Any
) -> HttpResponse:
    """Answer a POST on an endpoint: the page region over htmx, else back to the page."""
    error = extra.pop("error", "")
    if wants_partial(request):
        fresh = Endpoint.objects.get(pk=endpoint.pk)
        context = _detail_context(request, fresh, notice=notice, error=error, **extra)
        return render_page_or_partial(request, DETAIL, "endpoint-page", context)
    if extra.get("secret"):
        # No htmx: show the page itself (the secret must not travel in a redirect).
        fresh = Endpoint.objects.get(pk=endpoint.pk)
        context = _detail_context(request, fresh, notice=notice, error=error, **extra)
        return render_section(request, DETAIL, "webhook-deliveries", SECTION, context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(_detail_url(endpoint))


def _run(
    request: HttpRequest, endpoint: Endpoint, notice: str, call: Callable[[], object]
) -> HttpResponse:
    """Call a service; answer with its notice, or with the reason it refused (a 403 stays one)."""
    try:
        call()
    except ValidationError as exc:
        return _act(request, endpoint, error=error_text(exc))
    return _act(request, endpoint, notice=notice)


@require_POST
@dashboard_view(MANAGE)
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(pk)
    services.delete_endpoint(actor=actor(request), endpoint=endpoint, request=request)
    return _go(request, reverse("dashboard:webhooks"), gettext("Endpoint deleted."))


@require_POST
@never_cache
@dashboard_view(MANAGE)
def endpoint_secret(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(pk)
    return _act(request, endpoint, secret=endpoint.secret)


@require_POST
@never_cache
@dashboard_view(MANAGE)
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = services.rotate_secret(actor=actor(request), endpoint=_endpoint(pk), request=request)
    notice = gettext("New secret made; the old one no longer signs. Update your receiver.")
    return _act(request, endpoint, notice=notice, secret=endpoint.secret, fresh=True)


@require_POST
@dashboard_view(MANAGE)
def endpoint_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(pk)
    return _run(
        request,
        endpoint,
        gettext("Test event sent; its result is at the top of the deliveries."),
        lambda: services.send_test_event(actor=actor(request), endpoint=endpoint),
    )


@require_POST
@dashboard_view(MANAGE)
def endpoint_enable(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(pk)
    return _run(
        request,
        endpoint,
        gettext("Endpoint switched on."),
        lambda: services.enable_endpoint(actor=actor(request), endpoint=endpoint, request=request),
    )


@require_POST
@dashboard_view(MANAGE)
def endpoint_disable(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(pk)
    return _run(
        request,
        endpoint,
        gettext("Endpoint switched off; nothing is sent to it until it is switched on."),
        lambda: services.disable_endpoint(
            endpoint_id=endpoint.pk,
            reason="Switched off by an admin.",
            actor=actor(request),
            request=request,
        ),
    )


@require_POST
@dashboard_view(MANAGE)
def delivery_redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint"), pk=pk)
    return _run(
        request,
        delivery.endpoint,
        gettext("Sent again with the same webhook-id."),
        lambda: services.redeliver(actor=actor(request), delivery=delivery, request=request),
    )
