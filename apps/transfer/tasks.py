"""Background work for imports: the whole run happens in the worker, never in a request."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from apps.transfer import services


@task()
def run_import(run_id: int) -> dict[str, Any]:
    """Run (or carry on with) an import; safe to run twice (see services.run_import)."""
    run = services.run_import(run_id)
    return {"status": run.status, "items": run.items_done}
