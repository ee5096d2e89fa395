import pytest
from django import forms
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.core.paginator import Paginator
from django.template import Context, Template

from tests.factories.blog import PostFactory, TagFactory


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_button_renders_a_button_or_a_link():
    assert '<button type="submit"' in render(
        '{% component "button" type="submit" %}Save{% endcomponent %}'
    )
    html = render('{% component "button" href="/x/" variant="secondary" %}Go{% endcomponent %}')
    assert '<a href="/x/"' in html
    assert ">Go</a>" in html


def test_button_rejects_an_unknown_variant():
    with pytest.raises(ValueError, match="variant"):
        render('{% component "button" variant="sparkly" %}x{% endcomponent %}')


@pytest.mark.django_db
def test_post_card_shows_title_author_category_and_tags(django_assert_num_queries):
    post = PostFactory.create(title="On writing", tags=[TagFactory.create(name="craft")])
    from apps.blog.selectors import published_posts

    loaded = published_posts().get(pk=post.pk)
    with django_assert_num_queries(0):
        html = render('{% component "post_card" post=post / %}', post=loaded)
    assert "On writing" in html
    assert post.author.name in html
    assert post.category is not None
    assert post.category.name in html
    assert "#craft" in html


def test_pager_links_pages_and_targets_htmx():
    page = Paginator(list(range(30)), 10).get_page(2)
    html = render('{% component "pager" page=page target="#list" / %}', page=page)
    assert 'href="?page=1"' in html
    assert 'href="?page=3"' in html
    assert 'hx-target="#list"' in html
    assert "Page <span" in html


def test_pager_is_empty_for_a_single_page():
    page = Paginator([1], 10).get_page(1)
    assert render('{% component "pager" page=page / %}', page=page).strip() == ""


def test_flash_messages_announce_each_message():
    messages = [Message(constants.SUCCESS, "Saved."), Message(constants.ERROR, "Nope.")]
    html = render('{% component "flash_messages" messages=messages / %}', messages=messages)
    assert 'aria-live="polite"' in html
    assert "Saved." in html
    assert "Nope." in html
    assert "bg-red-50" in html


class _Form(forms.Form):
    email = forms.EmailField(help_text="We never share it.")


def test_form_field_ties_errors_and_help_to_the_input():
    form = _Form(data={"email": "not-an-email"})
    form.is_valid()
    html = render('{% component "form_field" field=field / %}', field=form["email"])
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_email_help id_email_errors"' in html
    assert "Enter a valid email address." in html


def test_pager_keeps_the_other_query_parameters():
    from django.http import QueryDict

    page = Paginator(list(range(30)), 10).get_page(2)
    query = QueryDict("q=caching+tips&page=2")
    html = render('{% component "pager" page=page query=query / %}', page=page, query=query)
    assert 'href="?q=caching+tips&amp;page=1"' in html
    assert 'href="?q=caching+tips&amp;page=3"' in html
