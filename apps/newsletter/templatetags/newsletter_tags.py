"""`{% newsletter_box source="post" %}`: the sign-up box at the end of posts and on the home page.

The box sits in pages the page cache shares between anonymous readers, so it holds nothing
personal and no CSRF token: it is a plain form that, without JavaScript, takes the reader to
/newsletter/ with their address filled in (one more click there, on a page with a token). With
htmx it fetches a token (`newsletter:token`) when it scrolls into view or is focused, then posts
to /newsletter/subscribe/ and swaps in the answer.

It costs no query of its own: it offers the default newsletters without listing them, and the
switch is read with every other waffle switch in one query that warms waffle's cache (the
post page's `live_updates` switch is then free), so page query budgets do not grow.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext
from waffle import get_waffle_switch_model
from waffle.models import CACHE_EMPTY
from waffle.utils import get_cache

from apps.newsletter.models import Source

register = template.Library()

SIGNUP_SWITCH = "newsletter_signup"
BOX_SOURCES = {Source.HOME, Source.POST}


def warm_switches() -> None:
    """Read every switch in one query into waffle's cache, unless ours is there already."""
    switch = get_waffle_switch_model()
    cache = get_cache()
    if cache.get(switch._cache_key(SIGNUP_SWITCH)) is not None:
        return
    found: dict[str, object] = {s.name: s for s in switch.objects.all()}
    found.setdefault(SIGNUP_SWITCH, CACHE_EMPTY)
    for name, value in found.items():
        cache.add(switch._cache_key(name), value)


def signup_box_shown() -> bool:
    from waffle import switch_is_active

    warm_switches()
    return bool(switch_is_active(SIGNUP_SWITCH))


@register.inclusion_tag("newsletter/_box.html")
def newsletter_box(source: str) -> dict[str, Any]:
    if source not in BOX_SOURCES:
        raise template.TemplateSyntaxError(f"newsletter_box: unknown source {source!r}")
    return {"shown": signup_box_shown(), "source": source}


@register.simple_tag
def newsletter_names(
    newsletters: Iterable[Any], strong: bool = False, final_and: bool = False
) -> str | SafeString:
    """The newsletters' names as one list for a sentence ("A, B and C"), in the active language.

    `{% newsletter_names newsletters strong=True as names %}` then `{{ names }}` inside a
    `{% blocktranslate %}`. With `strong` each name is wrapped in <strong> (safe HTML, names
    escaped); without it the list is plain text. `final_and` joins the last two with "and".
    """
    names = [newsletter.name for newsletter in newsletters]
    separator = pgettext("list separator", ", ")
    last = pgettext("list of newsletters", " and ") if final_and else separator
    if strong:
        items = [format_html("<strong>{}</strong>", name) for name in names]
        separator, last = conditional_escape(separator), conditional_escape(last)
    else:
        items = names
    joined = "".join(items) if len(items) < 2 else separator.join(items[:-1]) + last + items[-1]
    return mark_safe(joined) if strong else joined  # noqa: S308 (names escaped above)
