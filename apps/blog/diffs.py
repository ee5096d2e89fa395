"""The one diff engine: lines compared as lines, replaced lines compared word by word.

Pure functions over text. Pages reach it through `apps.blog.selectors` (`revision_diff`
for the revisions page, `post_differences` for the editor's conflict notice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool


@dataclass(frozen=True)
class DiffLine:
    kind: Literal["same", "added", "removed", "gap"]
    old_no: int | None = None
    new_no: int | None = None
    segments: tuple[Segment, ...] = ()
    skipped: int = 0  # for a gap: how many unchanged lines are not shown


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """The old and the new text as segments, the words that differ marked `changed`."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    before: list[Segment] = []
    after: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            same = "".join(a[i1:i2])
            before.append(Segment(same, False))
            after.append(Segment(same, False))
            continue
        if i2 > i1:
            before.append(Segment("".join(a[i1:i2]), True))
        if j2 > j1:
            after.append(Segment("".join(b[j1:j2]), True))
    return tuple(before), tuple(after)


def line_diff(old: str, new: str, context: int | None = 3) -> list[DiffLine]:
    """A unified diff of two texts: changed lines with `context` lines around them.

    `context=None` keeps every line (no gaps). Lines replaced one for one are compared
    word by word, so a fixed typo shows as that word and not as a whole new paragraph.
    Empty when the texts are equal.
    """
    a, b = old.splitlines(), new.splitlines()
    if a == b:
        return []
    around = max(len(a), len(b)) if context is None else context
    lines: list[DiffLine] = []
    shown_to = 0  # old lines before this index are shown or reported as a gap
    for group in SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(around):
        if group[0][1] > shown_to:
            lines.append(DiffLine("gap", skipped=group[0][1] - shown_to))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(
                    DiffLine("same", i1 + k + 1, j1 + k + 1, (Segment(a[i1 + k], False),))
                    for k in range(i2 - i1)
                )
                continue
            pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            words = [word_diff(a[i1 + k], b[j1 + k]) for k in range(pairs)]
            lines.extend(
                DiffLine(
                    "removed",
                    old_no=i1 + k + 1,
                    segments=words[k][0] if k < pairs else (Segment(a[i1 + k], False),),
                )
                for k in range(i2 - i1)
            )
            lines.extend(
                DiffLine(
                    "added",
                    new_no=j1 + k + 1,
                    segments=words[k][1] if k < pairs else (Segment(b[j1 + k], False),),
                )
                for k in range(j2 - j1)
            )
        shown_to = group[-1][2]
    if shown_to < len(a):
        lines.append(DiffLine("gap", skipped=len(a) - shown_to))
    return lines
