"""Why a comment waits in the queue: stored in English, shown in the reader's language.

The reason is stored as written here (a stable text that exports, imports and old rows
share); `shown` words it in the active language when the moderation queue displays it.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext, ngettext

ALL_HELD = "All comments are held"
FIRST_TIME = "First-time commenter"
IMPORTED = "imported: held on the old site"

_LINKS = re.compile(r"^(\d+) links$")
_BLOCKED = "Blocked word: "


def too_many_links(count: int) -> str:
    return f"{count} links"


def blocked_word(word: str) -> str:
    return f"{_BLOCKED}{word}"


def shown(reason: str) -> str:
    """`reason` as stored, in the active language (a reason not known here as it is)."""
    if reason == ALL_HELD:
        return gettext("All comments are held")
    if reason == FIRST_TIME:
        return gettext("First-time commenter")
    if reason == IMPORTED:
        return gettext("Imported: held on the old site")
    if match := _LINKS.match(reason):
        count = int(match.group(1))
        return ngettext("%(count)d link", "%(count)d links", count) % {"count": count}
    if reason.startswith(_BLOCKED):
        return gettext("Blocked word: %(word)s") % {"word": reason[len(_BLOCKED) :]}
    return reason
