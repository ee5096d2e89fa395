"""The moderation rules both service modules apply: the hold rule and the spam signals.

`comments.py` asks them when a comment is posted or edited and `moderation.py` owns the
settings they read; neither imports the other, both import this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.blog.models import Post
from apps.comments import reasons
from apps.comments.models import Comment, ModerationSettings
from apps.comments.selectors.threads import moderation_settings

Status = Comment.Status

# A Markdown inline link or image-less link: [text](target "title").
_MARKDOWN_LINK = re.compile(r"\[[^\]\n]*\]\([^)\s]+(?:\s[^)]*)?\)")
# Bare URLs and <autolinks>; www. counts because readers' browsers would follow it too.
_BARE_URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>()]+", re.IGNORECASE)


def count_links(body: str) -> int:
    """Markdown links plus bare URLs in a comment's source text."""
    markdown_links = len(_MARKDOWN_LINK.findall(body))
    # Each Markdown link's target is a URL too: drop them before counting bare URLs.
    rest = _MARKDOWN_LINK.sub(" ", body)
    return markdown_links + len(_BARE_URL.findall(rest))


def _word_pattern(word: str) -> re.Pattern[str]:
    # Lookarounds instead of \b, so entries that start or end with punctuation ("$$$")
    # still match as a whole; any run of whitespace matches a phrase's spaces.
    parts = [re.escape(part) for part in word.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)


def blocked_word_in(body: str, words: Iterable[str]) -> str:
    """The first blocklist entry found in `body` as a whole word or phrase, else ""."""
    for word in words:
        if _word_pattern(word).search(body):
            return word
    return ""


def _is_moderator(author: User | None) -> bool:
    return author is not None and can(author, "comment.moderate")


def _signal(body: str, rules: ModerationSettings) -> str:
    if (links := count_links(body)) > rules.max_links:
        return reasons.too_many_links(links)
    if word := blocked_word_in(body, rules.blocked_words):
        return reasons.blocked_word(word)
    return ""


def spam_signal(*, author: User | None, body: str) -> str:
    """Why `body` must wait in the queue (too many links, a blocked word), else ""."""
    # Edits are checked for these signals only: the hold mode is about who is new, and
    # someone editing a published comment is not. Moderators are never held.
    if _is_moderator(author):
        return ""
    return _signal(body, moderation_settings())


def _has_published_comment(author: User) -> bool:
    return Comment.objects.filter(author=author, status=Status.PUBLISHED).exists()


def initial_status(*, author: User | None, post: Post, body: str) -> tuple[Comment.Status, str]:
    """The status and held reason of a new comment: spam signals first, then the hold mode."""
    if _is_moderator(author):
        return Status.PUBLISHED, ""
    rules = moderation_settings()
    if reason := _signal(body, rules):
        return Status.HELD, reason
    if rules.hold == ModerationSettings.Hold.ALL:
        return Status.HELD, reasons.ALL_HELD
    if rules.hold == ModerationSettings.Hold.FIRST_TIME and (
        author is None or not _has_published_comment(author)
    ):
        return Status.HELD, reasons.FIRST_TIME
    return Status.PUBLISHED, ""
