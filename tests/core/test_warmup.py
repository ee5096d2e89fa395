"""A server process freezes its loaded application out of the garbage collector."""

import gc

from apps.core.warmup import freeze_loaded_application


def test_freeze_moves_the_loaded_application_out_of_the_collectors_reach(settings):
    settings.GC_FREEZE = True
    try:
        freeze_loaded_application()
        assert gc.get_freeze_count() > 10_000  # the modules, classes and URL patterns
    finally:
        gc.unfreeze()


def test_freeze_can_be_switched_off(settings):
    settings.GC_FREEZE = False
    gc.unfreeze()
    freeze_loaded_application()
    assert gc.get_freeze_count() == 0
