"""Choosing the best search results on PostgreSQL with bounded work, whatever the words.

Measured on 100,000 generated posts (tests/perf/bench_search.py, EXPLAIN ANALYZE): ranking
every match of a common word with `ts_rank(search_document)` and counting them exactly
read that large, out-of-line (TOASTed) column for every match: one to two seconds a query. The GIN
index finds matching rows without reading it; the small `search_head` (title A,
subtitle and excerpt B; migration blog.0008) lives in the row. So, in one query:

1. The newest PROBE_WINDOW visible posts are checked (at most that many documents are
   read); the newest HEAD_CANDIDATES posts whose title, subtitle or excerpt match are
   added (GIN index on `search_head`); that pool is ranked by `ts_rank(search_head)`:
   title matches first, then subtitle and excerpt, then the newest. If at least
   PROBE_MATCHES of the window match, the words are common: that pool is the answer,
   and the page says "more than" instead of counting every match.
2. Otherwise the matches are few enough to take all of them from the GIN index (up to
   MAX_RESULTS + 1, newest first), ranked the same way. That query runs with bitmap
   scans only (SET LOCAL): the planner cannot see what reading `search_document` costs
   and would otherwise walk posts in date order, reading each one.

A phrase needs word positions, so it is checked on the newest PHRASE_WINDOW posts that
hold all its words; when even those words are common (PROBE_MATCHES in the window), only
the window and the titles are searched, and the page says "more than".
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Any

from django.db import connection, transaction

from apps.blog.models import Post
from apps.blog.selectors import visible_until

MAX_RESULTS = 1000
PROBE_WINDOW = 400
PROBE_MATCHES = 25
HEAD_CANDIDATES = 400
PHRASE_WINDOW = 1000
EXCLUDING_HEAD_WINDOW = 200

# Each post's text is indexed with its language's configuration (blog.0010's
# `inkwell_search_config`); a search runs in one language, with that language's.
_VISIBLE = "status = %(published)s AND published_at < %(until)s AND language = %(language)s"
_QUERY = "websearch_to_tsquery(inkwell_search_config(%(language)s), %(q)s)"
_WORDS = "websearch_to_tsquery(inkwell_search_config(%(language)s), %(words)s)"
# What ranking needs, carried along so that no row is looked up twice.
_ROW = "id, published_at, search_head"

# The newest posts, a bounded window of them: the matches among them.
_NEWEST = f"""
    newest AS MATERIALIZED (
        SELECT id, published_at, search_head, search_document FROM blog_post WHERE {_VISIBLE}
        ORDER BY published_at DESC, id DESC LIMIT %(window)s
    ),
"""  # noqa: S608
_PROBE = f"SELECT {_ROW} FROM newest WHERE search_document @@ {_QUERY}"  # noqa: S608
_PROBE_STATS = f"""
    (SELECT count(*) FROM newest),
    (SELECT count(*) FROM newest WHERE %(phrase)s AND search_document @@ {_WORDS})
"""  # noqa: S608
# All matches, newest first (bitmap scans: no document is read unless a phrase asks).
_ALL = f"""
    SELECT {_ROW} FROM blog_post WHERE {_VISIBLE} AND search_document @@ {_QUERY}
    ORDER BY published_at DESC, id DESC LIMIT %(limit)s
"""  # noqa: S608
# A phrase: the newest posts holding all its words, then the phrase checked on them.
_PHRASE_CANDIDATES = f"""
    candidates AS MATERIALIZED (
        SELECT {_ROW}, search_document FROM blog_post
        WHERE {_VISIBLE} AND search_document @@ {_WORDS}
        ORDER BY published_at DESC, id DESC LIMIT %(phrase_window)s
    ),
"""  # noqa: S608
_PHRASE = f"SELECT {_ROW} FROM candidates WHERE search_document @@ {_QUERY} LIMIT %(limit)s"  # noqa: S608
_PHRASE_STATS = "(SELECT count(*) FROM candidates), 0"
# Title, subtitle or excerpt matches; a phrase is found by its words first (good estimates).
_HEAD = f"""
    SELECT {_ROW} FROM (
        SELECT {_ROW}, search_document FROM blog_post
        WHERE {_VISIBLE} AND search_head @@ {_WORDS}
        ORDER BY published_at DESC, id DESC LIMIT %(head_window)s
    ) titled
    WHERE search_head @@ {_QUERY} {{exclusions}} LIMIT %(head)s
"""  # noqa: S608
_RANKED = f"""
    WITH {{ctes}} body AS MATERIALIZED ({{body}}), head AS ({_HEAD})
    SELECT stats.body_rows, stats.examined, stats.words, ranked.id
    FROM (SELECT (SELECT count(*) FROM body) AS body_rows, {{stats}}) AS stats (body_rows, examined, words)
    LEFT JOIN LATERAL (
        SELECT pool.id FROM (
            SELECT DISTINCT ON (id) {_ROW} FROM (
                SELECT {_ROW} FROM body UNION ALL SELECT {_ROW} FROM head
            ) found
        ) pool
        ORDER BY ts_rank(pool.search_head, {_QUERY}) DESC, pool.published_at DESC, pool.id DESC
        LIMIT %(limit)s
    ) ranked ON true
"""  # noqa: S608


@cache
def text_search_configs() -> dict[str, str]:
    """Language code → PostgreSQL text search configuration: blog.0010's table, which its
    SQL function `inkwell_search_config` was made from (a test checks they agree)."""
    configs: dict[str, str] = import_module("apps.blog.migrations.0010_search_per_language").CONFIGS
    return configs


def text_search_config(language: str) -> str:
    """The PostgreSQL text search configuration of a language (`simple` if it has none)."""
    return text_search_configs().get(language.lower(), "simple")


def postgres_candidates(
    text: str, words: str, *, has_phrase: bool, excludes: bool, language: str
) -> tuple[list[int], bool]:
    """Ids of the best matches for `text`, best first (at most MAX_RESULTS + 1).

    `words` is the query with its phrases' quotes removed. The flag says whether the ids
    are all the matches; if not, more posts match than were ranked.
    """
    params: dict[str, Any] = {
        "q": text,
        "words": words,
        "language": language,
        "phrase": has_phrase,
        "published": Post.Status.PUBLISHED,
        "until": visible_until(),
        "window": PROBE_WINDOW,
        "head": HEAD_CANDIDATES,
        # An excluded word may sit in the body: each title match is then checked whole.
        "head_window": EXCLUDING_HEAD_WINDOW if excludes else HEAD_CANDIDATES,
        "phrase_window": PHRASE_WINDOW,
        "limit": MAX_RESULTS + 1,
        "excludes": excludes,
    }
    found, window_rows, with_words, ids = _ranked(_NEWEST, _PROBE, _PROBE_STATS, params)
    if found >= PROBE_MATCHES:  # common words: the newest matches and title matches suffice
        return ids, False
    if window_rows < PROBE_WINDOW:  # the probe saw every visible post
        return ids, True
    if with_words >= PROBE_MATCHES:  # a phrase of common words: too many posts to check
        return ids, False
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        if has_phrase:
            found, examined, _, ids = _ranked(_PHRASE_CANDIDATES, _PHRASE, _PHRASE_STATS, params)
            return ids, found <= MAX_RESULTS and examined < PHRASE_WINDOW
        found, _, _, ids = _ranked("", _ALL, "0, 0", params)
        return ids, found <= MAX_RESULTS


def _ranked(
    ctes: str, body: str, stats: str, params: dict[str, Any]
) -> tuple[int, int, int, list[int]]:
    exclusions = f"AND search_document @@ {_QUERY}" if params["excludes"] else ""
    sql = _RANKED.format(ctes=ctes, body=body, stats=stats, exclusions=exclusions)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found, examined, with_words = rows[0][:3]
    return found, examined, with_words, [row[3] for row in rows if row[3] is not None]
