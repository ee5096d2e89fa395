"""Site imports (WordPress, Ghost): upload, watch the progress, read the report, undo.

The work runs in the task worker (apps.transfer.tasks); these pages start it and show
its state. The run page polls its own `import-progress` partial with htmx while the run
is queued or running; the partial stops polling once the run has finished.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from apps.core.htmx import wants_partial
from apps.dashboard.forms.imports import SiteImportForm
from apps.dashboard.views.base import actor, dashboard_view, error_text, render_section
from apps.transfer import services
from apps.transfer.models import ImportRun
from apps.transfer.selectors import import_runs

ACTION = "site.import"
SECTION = "imports"
RUNS_SHOWN = 20


def _flat(form: SiteImportForm) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@dashboard_view(ACTION)
def imports(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        form = SiteImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            try:
                run = services.start_import(
                    actor=actor(request),
                    source=data["source"],
                    file=upload,
                    file_name=upload.name or "import",
                    dry_run=data["dry_run"],
                    members=data.get("members"),
                )
            except (ValidationError, PermissionDenied) as exc:
                error = error_text(exc)
            else:
                url = reverse("dashboard:import_detail", args=[run.pk])
                return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)
        else:
            error = _flat(form)
    else:
        form = SiteImportForm()
    context = {"form": form, "error": error, "runs": import_runs()[:RUNS_SHOWN]}
    response = render_section(
        request, "dashboard/imports/index.html", "import-form", SECTION, context
    )
    if error:
        response.status_code = 400
    return response


def _run_context(run: ImportRun) -> dict[str, object]:
    counts = run.report.get("counts", {})
    return {
        "run": run,
        "counts": sorted(counts.items()),
        "warnings": run.report.get("warnings", []),
        "errors": run.report.get("errors", []),
        "stalled": services.is_stalled(run),
        "can_resume": services.can_resume(run),
        "can_roll_back": services.can_roll_back(run),
        "can_run_for_real": run.dry_run and run.status == ImportRun.Status.DONE,
    }


@require_safe
@never_cache
@dashboard_view(ACTION)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ImportRun.objects.select_related("created_by"), pk=pk)
    return render_section(
        request, "dashboard/imports/detail.html", "import-progress", SECTION, _run_context(run)
    )


def _act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    run = get_object_or_404(ImportRun, pk=pk)
    target = run
    try:
        if action == "resume":
            services.resume_import(actor=actor(request), run=run)
        elif action == "rollback":
            services.rollback_import(actor=actor(request), run=run)
        else:
            target = services.import_for_real(actor=actor(request), run=run)
    except (ValidationError, PermissionDenied) as exc:
        run.refresh_from_db()
        context = {**_run_context(run), "error": error_text(exc)}
        response = render_section(
            request, "dashboard/imports/detail.html", "import-progress", SECTION, context
        )
        response.status_code = 400
        return response
    url = reverse("dashboard:import_detail", args=[target.pk])
    return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)


@require_POST
@dashboard_view(ACTION)
def import_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "resume")


@require_POST
@dashboard_view(ACTION)
def import_rollback(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "rollback")


@require_POST
@dashboard_view(ACTION)
def import_for_real(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "for_real")
