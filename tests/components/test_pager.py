"""The pager component: the reading pages' and the dashboard tables' one pager."""

import pytest
from django.core.paginator import Paginator
from django.http import QueryDict
from django.template import Context, Template


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_pager_says_newer_and_older_under_a_reading_list():
    page = Paginator(list(range(30)), 10).get_page(2)
    html = render('{% component "pager" page=page / %}', page=page)
    assert "&larr; Newer</a>" in html
    assert "Older &rarr;</a>" in html
    assert "mt-10" in html


def test_pager_at_the_foot_of_a_table_says_previous_and_next_and_keeps_the_filters():
    page = Paginator(list(range(30)), 10).get_page(2)
    query = QueryDict("status=draft&sort=-updated&page=2")
    html = render(
        '{% component "pager" page=page target="#post-results" label="Post pages" '
        'query=query placement="table" / %}',
        page=page,
        query=query,
    )
    assert "&larr; Previous</a>" in html
    assert "Next &rarr;</a>" in html
    assert 'aria-label="Post pages"' in html
    assert 'href="?status=draft&amp;sort=-updated&amp;page=1"' in html
    assert 'hx-get="?status=draft&amp;sort=-updated&amp;page=3"' in html
    assert 'hx-target="#post-results"' in html
    assert "mt-10" not in html


def test_pager_without_a_target_makes_plain_links():
    page = Paginator(list(range(30)), 10).get_page(2)
    html = render('{% component "pager" page=page placement="table" / %}', page=page)
    assert 'href="?page=3"' in html
    assert "hx-get" not in html


def test_pager_rejects_an_unknown_placement():
    page = Paginator(list(range(30)), 10).get_page(2)
    with pytest.raises(ValueError, match="placement"):
        render('{% component "pager" page=page placement="sidebar" / %}', page=page)
