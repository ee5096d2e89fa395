import pytest

from apps.accounts.models import User
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def test_count_queries_counts_a_query_cachalot_would_answer():
    User.objects.count()  # django-cachalot now holds the answer

    with count_queries() as ctx:
        User.objects.count()

    assert len(ctx) == 1
    assert "COUNT(*)" in ctx.captured_queries[0]["sql"]
