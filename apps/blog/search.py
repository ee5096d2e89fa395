"""Searching published posts: PostgreSQL full-text search, or a token match on SQLite.

Both understand the web-search syntax readers know: words (all must match),
"quoted phrases", and -exclusions. On PostgreSQL the weighted, generated
`search_document` column and its GIN index (migration blog.0004) rank the
results (title over subtitle and excerpt over body) and highlight a snippet.
On SQLite every term is matched case-insensitively, so the embedded default
still searches sensibly; titles that match rank first.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import cast

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
)
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BigIntegerField, Case, F, Func, IntegerField, Q, QuerySet, Value, When
from django.utils.html import escape

from apps.blog import search_postgres
from apps.blog.models import Post
from apps.blog.selectors import published_posts

MAX_QUERY_CHARS = 200
SNIPPET_CHARS = 220
# Sentinels PostgreSQL puts around matches; replaced by <mark> after escaping the text.
_OPEN, _CLOSE = "\x02", "\x03"


@dataclass
class ParsedQuery:
    """A web-search query split into required words, quoted phrases and excluded words."""

    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    @property
    def positives(self) -> list[str]:
        return [*self.phrases, *self.words]

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)


def parse_query(text: str) -> ParsedQuery:
    """Split `text` the way web search engines do; unbalanced quotes are tolerated."""
    text = text.strip()[:MAX_QUERY_CHARS]
    try:
        tokens = shlex.split(text, posix=True)
    except ValueError:  # an unclosed quote: treat the quotes as plain characters
        tokens = text.replace('"', " ").split()
    parsed = ParsedQuery()
    quoted = set(re.findall(r'"([^"]+)"', text))
    for token in tokens:
        token = token.strip()
        if not token:
            continue
        if token.startswith("-") and len(token) > 1:
            parsed.excluded.append(token[1:])
        elif token in quoted or " " in token:
            parsed.phrases.append(token)
        elif token.lower() not in {"or", "and"}:
            parsed.words.append(token)
    return parsed


@dataclass
class SearchPage:
    """What the search page shows: one page of results, each with its snippet.

    `total` counts the results that can be paged through (at most MAX_RESULTS); `more`
    says that more posts match than that, so the page says "more than …".
    """

    page: Page[Post]
    hits: list[tuple[Post, str]]
    total: int
    more: bool


def search_page(
    text: str, number: int | str | None = None, language: str | None = None
) -> SearchPage:
    """Page `number` of the results for `text`, with snippets: the search page's work.

    The best results are chosen first, as ids (one query on the common path), then only
    the posts of the page shown are loaded, with their snippets.
    """
    parsed = parse_query(text)
    text = text.strip()[:MAX_QUERY_CHARS]
    language = language or settings.LANGUAGE_CODE
    ids: list[int] = []
    complete = True
    if parsed:
        if connection.vendor == "postgresql":
            words = text.replace('"', " ")
            ids, complete = search_postgres.postgres_candidates(
                text,
                words,
                has_phrase=bool(parsed.phrases),
                excludes=bool(parsed.excluded),
                language=language,
            )
        else:
            ids = list(
                _token_match(parsed, language).values_list("pk", flat=True)[
                    : search_postgres.MAX_RESULTS + 1
                ]
            )
    cap = search_postgres.MAX_RESULTS
    more = not complete or len(ids) > cap
    ids = ids[:cap]
    by_id = Paginator(ids, settings.POSTS_PER_PAGE).get_page(number)
    posts = _posts_in_order(list(by_id.object_list), text, language) if ids else []
    # The pager needs the page's number and the paginator's page count, nothing of the ids.
    page = Page(posts, by_id.number, cast("Paginator[Post]", by_id.paginator))
    hits = [(post, snippet_html(post, text)) for post in posts]
    return SearchPage(page=page, hits=hits, total=len(ids), more=more)


def _posts_in_order(ids: list[int], text: str, language: str) -> list[Post]:
    posts = published_posts().filter(pk__in=ids).defer("body_html", "toc")
    if connection.vendor == "postgresql":
        config = search_postgres.text_search_config(language)
        query = SearchQuery(text, search_type="websearch", config=config)
        # Only the page's posts: a headline parses the whole body it is given.
        posts = posts.annotate(
            raw_snippet=SearchHeadline(
                "body",
                query,
                config=config,
                start_sel=_OPEN,
                stop_sel=_CLOSE,
                max_words=40,
                min_words=20,
                max_fragments=1,
            )
        )
    by_id = {post.pk: post for post in posts}
    return [by_id[pk] for pk in ids if pk in by_id]


def search_posts(text: str, language: str | None = None) -> QuerySet[Post]:
    """Published posts matching the query, best first: the API's search, no snippets.

    On PostgreSQL the same bounded candidates as the search page (at most MAX_RESULTS of
    the best matches, found without ranking every post that holds a common word), so a
    request for `q=the` over 100,000 posts costs what the page costs.
    """
    parsed = parse_query(text)
    language = language or settings.LANGUAGE_CODE
    if not parsed:
        return published_posts().none()
    if connection.vendor != "postgresql":
        return _token_match(parsed, language)
    text = text.strip()[:MAX_QUERY_CHARS]
    ids, _ = search_postgres.postgres_candidates(
        text,
        text.replace('"', " "),
        has_phrase=bool(parsed.phrases),
        excludes=bool(parsed.excluded),
        language=language,
    )
    ids = ids[: search_postgres.MAX_RESULTS]
    return (
        published_posts()
        .filter(pk__in=ids)
        .annotate(
            rank=Func(
                Value(ids, output_field=ArrayField(BigIntegerField())),
                F("pk"),
                function="array_position",
                output_field=IntegerField(),
            )
        )
        .order_by("rank")
    )


def _token_match(parsed: ParsedQuery, language: str) -> QuerySet[Post]:
    posts = published_posts(language)
    for term in parsed.positives:
        posts = posts.filter(
            Q(title__icontains=term)
            | Q(subtitle__icontains=term)
            | Q(excerpt__icontains=term)
            | Q(body__icontains=term)
        )
    for term in parsed.excluded:
        posts = posts.exclude(
            Q(title__icontains=term)
            | Q(subtitle__icontains=term)
            | Q(excerpt__icontains=term)
            | Q(body__icontains=term)
        )
    title_hits = sum(
        (
            Case(
                When(title__icontains=term, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for term in parsed.positives
        ),
        Value(0),
    )
    return posts.annotate(rank=title_hits).order_by("-rank", "-published_at", "-id")


def snippet_html(post: Post, text: str) -> str:
    """A short excerpt of the post around the first match, matches wrapped in <mark>, escaped."""
    raw = getattr(post, "raw_snippet", None)
    if raw:
        return _marked(escape(_plain(raw)), _OPEN, _CLOSE)
    parsed = parse_query(text)
    body = _plain(post.body)
    lowered = body.lower()
    positions = [lowered.find(term.lower()) for term in parsed.positives]
    found = [p for p in positions if p >= 0]
    start, end = _word_window(body, min(found) if found else 0)
    piece = body[start:end].strip()
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(body) else ""
    html = str(escape(piece))
    for term in sorted(parsed.positives, key=len, reverse=True):
        html = re.sub(
            f"({re.escape(escape(term))})", f"{_OPEN}\\1{_CLOSE}", html, flags=re.IGNORECASE
        )
    return prefix + _marked(html, _OPEN, _CLOSE) + suffix


def _word_window(body: str, match: int) -> tuple[int, int]:
    """About SNIPPET_CHARS of `body` around `match`, starting and ending on whole words."""
    start = max(0, match - SNIPPET_CHARS // 3)
    end = min(len(body), start + SNIPPET_CHARS)
    if start > 0:
        # Back to the start of the word cut in two (the text is whitespace-folded).
        start = body.rfind(" ", 0, start) + 1
    if end < len(body) and body[end] != " ":
        # Forward to the end of the word cut in two.
        space = body.find(" ", end)
        end = len(body) if space < 0 else space
    return start, end


def _marked(html: str, open_: str, close: str) -> str:
    return html.replace(open_, "<mark>").replace(close, "</mark>")


_MARKDOWN_NOISE = re.compile(r"[#*_`>\[\]|]+|\(https?://[^)]*\)")


def _plain(markdown: str) -> str:
    """Markdown punctuation removed, whitespace folded: text for a snippet."""
    return re.sub(r"\s+", " ", _MARKDOWN_NOISE.sub(" ", markdown)).strip()
