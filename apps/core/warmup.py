"""Prepare a server process before it takes requests: load everything, then freeze it.

Python's cyclic garbage collector walks every tracked object on a full collection. A
loaded Django process holds hundreds of thousands of them (modules, classes, URL
patterns, templates) that live as long as the process, so each full collection took
125-145 ms and turned into the slow tail of whichever request triggered it.
`gc.freeze()` moves everything alive at that moment into a permanent generation the
collector skips; collections then only look at what requests allocate.
"""

from __future__ import annotations

import gc

from django.conf import settings
from django.urls import get_resolver


def freeze_loaded_application() -> None:
    """Import every view (through the URLconf), collect once, and freeze what is alive."""
    if not settings.GC_FREEZE:
        return
    get_resolver().url_patterns  # noqa: B018  (imports every app's views and their imports)
    gc.collect()
    gc.freeze()
