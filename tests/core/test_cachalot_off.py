"""cachalot switched off for a block, and on again however the block ends."""

import pytest
from cachalot.api import LOCAL_STORAGE
from cachalot.settings import cachalot_settings

from apps.core.cache import cachalot_off


def _enabled() -> bool:
    return bool(getattr(LOCAL_STORAGE, "cachalot_enabled", cachalot_settings.CACHALOT_ENABLED))


def test_cachalot_is_on_again_after_a_block_that_raised():
    before = _enabled()
    # cachalot's own cachalot_disabled() left it off here: a failed import, say, and every
    # later query of the thread went uncached.
    seen: list[bool] = []

    def fail() -> None:
        with cachalot_off():
            seen.append(_enabled())
            raise RuntimeError("an import failed half-way")

    with pytest.raises(RuntimeError):
        fail()
    assert seen == [False]
    assert _enabled() == before


def test_nested_blocks_restore_what_was_there():
    with cachalot_off(all_queries=True):
        with cachalot_off():
            assert not _enabled()
        assert LOCAL_STORAGE.disable_on_all is True
    assert getattr(LOCAL_STORAGE, "disable_on_all", False) is False
