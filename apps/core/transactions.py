"""After-commit side effects: the one seam services use for broadcasts, notifications and tasks.

A service stores its rows and then asks for side effects with `after_commit(func, *args)`.
They run once the outermost transaction commits (at once when there is none), and a
failing one is logged, never raised: the stored data is the source of truth, a push, a
mail or a task is a courtesy that must not turn a committed write into an error page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction


def callback_name(func: Callable[..., object]) -> str:
    """A readable name for `func` in the failure log (partials and callables included)."""
    target = getattr(func, "func", func)  # functools.partial keeps the wrapped callable here
    name = getattr(target, "__qualname__", None) or type(target).__qualname__
    module = getattr(target, "__module__", None)
    return f"{module}.{name}" if module else name


def after_commit(func: Callable[..., object], /, *args: Any, **kwargs: Any) -> None:
    """Run `func(*args, **kwargs)` after the current transaction commits; log its failure."""

    def run_after_commit() -> None:
        func(*args, **kwargs)

    # Django 5.2 logs a failing robust callback by its __qualname__, which a
    # functools.partial lacks: the AttributeError would then escape into the request
    # (stack-notes trap 17). A named function that names its target keeps the log useful.
    run_after_commit.__qualname__ = f"after_commit({callback_name(func)})"
    transaction.on_commit(run_after_commit, robust=True)
