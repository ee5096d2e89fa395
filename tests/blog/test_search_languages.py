"""Search in each post's language: PostgreSQL's text search configuration per language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.blog import search_postgres, services
from apps.blog.search import search_page, search_posts
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def _published(title: str, body: str, language: str):
    return services.create_post(
        author=UserFactory.create(),
        title=title,
        body=body,
        status="published",
        published_at=timezone.now() - timedelta(hours=1),
        language=language,
    )


def test_search_finds_only_the_pages_language():
    english = _published("Cats", "Notes on cats and their habits.", "en")
    german = _published("Katzen", "Notizen über Katzen und cats.", "de")
    assert [post for post, _ in search_page("cats", language="en").hits] == [english]
    assert [post for post, _ in search_page("cats", language="de").hits] == [german]
    assert list(search_posts("cats", "de")) == [german]


@pytest.mark.postgres
def test_each_language_is_stemmed_with_its_own_configuration():
    german = _published("Häuser am See", "Die Häuser stehen am Ufer der Seen.", "de")
    arabic = _published("الكتب", "قرأت الكتاب في المكتبة.", "ar")
    english = _published("Houses", "Houses by the lakes.", "en")
    # German stemming: "Haus" and "Häuser" share a stem in `german`, not in `english`.
    assert [post for post, _ in search_page("Haus", language="de").hits] == [german]
    assert [post for post, _ in search_page("house", language="en").hits] == [english]
    assert [post for post, _ in search_page("الكتاب", language="ar").hits] == [arabic]
    assert search_page("Häuser", language="en").hits == []


@pytest.mark.postgres
def test_the_sql_function_and_the_python_table_agree():
    with connection.cursor() as cursor:
        for code, config in search_postgres.text_search_configs().items():
            cursor.execute("SELECT inkwell_search_config(%s)::text", [code])
            assert cursor.fetchone()[0] == config, code
        cursor.execute("SELECT inkwell_search_config('xx')::text")
        assert cursor.fetchone()[0] == "simple"
