import logging
from functools import partial

import pytest
from django.db import transaction

from apps.core.transactions import after_commit, callback_name

pytestmark = pytest.mark.django_db


def _record(calls: list[tuple[object, ...]], *args: object, **kwargs: object) -> None:
    calls.append((*args, *sorted(kwargs.items())))


def _explode(reason: str) -> None:
    raise RuntimeError(reason)


def test_after_commit_runs_the_call_with_its_arguments_only_after_commit(
    django_capture_on_commit_callbacks,
):
    calls: list[tuple[object, ...]] = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        after_commit(_record, calls, 1, flag=True)
        assert calls == []
    assert len(callbacks) == 1
    assert calls == [(1, ("flag", True))]


def test_after_commit_never_runs_on_rollback(django_capture_on_commit_callbacks):
    calls: list[tuple[object, ...]] = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                after_commit(_record, calls, "lost")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert calls == []


def test_after_commit_logs_a_failure_by_the_target_name_and_runs_the_rest(
    django_capture_on_commit_callbacks, caplog
):
    calls: list[tuple[object, ...]] = []
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        after_commit(_explode, "mail server on fire")
        after_commit(_record, calls, "still sent")
    assert calls == [("still sent",)]
    [record] = [r for r in caplog.records if "on_commit" in r.getMessage()]
    assert "after_commit(tests.core.test_transactions._explode)" in record.getMessage()
    assert record.exc_info is not None
    assert "mail server on fire" in str(record.exc_info[1])


def test_after_commit_accepts_a_partial_and_names_what_it_wraps(
    django_capture_on_commit_callbacks, caplog
):
    # A bare partial handed to on_commit(robust=True) would raise AttributeError here
    # (stack-notes trap 17): the wrapper gives Django a __qualname__ to log.
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        after_commit(partial(_explode, "boom"))
    assert "after_commit(tests.core.test_transactions._explode)" in caplog.text


def test_callback_name_names_functions_partials_and_callables():
    class Sender:
        def __call__(self) -> None:
            return None

    assert callback_name(_explode) == "tests.core.test_transactions._explode"
    assert callback_name(partial(_record, [])) == "tests.core.test_transactions._record"
    assert callback_name(Sender()).endswith("Sender")
