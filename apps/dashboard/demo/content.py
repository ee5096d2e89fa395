"""Read and check the demo content files; no database access.

The content lives beside this module, in `content/`:

- `site.toml`: `tags` (a list of names, created in that order), `[[authors]]` (`username`,
  `email`, `display_name`, `bio`), `[[categories]]` (`name`, `description`) and
  `[[threads]]` (`post`, a slug, with `[[threads.comments]]`: `author`, `body` and an
  optional `reply_to`, the 1-based number of an earlier comment in the same thread).
- `posts/<slug>.md`: one post per file; the file name is the slug. The file opens with
  TOML front matter between two `+++` lines, and the Markdown body follows it:

      +++
      title = "Designing the Empty State"
      author = "priya"                     # an author's username
      category = "Design"                  # a category's name
      tags = ["Accessibility", "Writing"]  # names from `tags`
      status = "published"                 # or "draft"
      days_ago = 2                         # published posts only: days before the seeding run
      featured = true                      # optional, false by default
      excerpt = "The first screen ..."
      +++

Dates are relative so the demo always looks recently active. Every problem is reported as
a `DemoContentError` naming the file and the field, before anything is written.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTENT_DIR = Path(__file__).resolve().parent / "content"

_FRONT_MATTER = re.compile(r"\A\+\+\+\n(?P<meta>.*?)^\+\+\+\n(?P<body>.*)\Z", re.DOTALL | re.M)
_SLUG = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_POST_FIELDS = {"title", "author", "category", "tags", "status", "excerpt"}
_POST_OPTIONAL = {"days_ago", "featured"}
_STATUSES = ("published", "draft")


class DemoContentError(ValueError):
    """A demo content file is malformed or refers to something that does not exist."""

    def __init__(self, path: Path, field: str, problem: str) -> None:
        self.path = path
        self.field = field
        super().__init__(f"{path}: {field}: {problem}")


@dataclass(frozen=True, slots=True)
class AuthorSpec:
    username: str
    email: str
    display_name: str
    bio: str


@dataclass(frozen=True, slots=True)
class CategorySpec:
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class PostSpec:
    slug: str
    title: str
    author: str  # AuthorSpec.username
    category: str  # CategorySpec.name
    tags: tuple[str, ...]  # names from DemoContent.tags
    days_ago: int | None  # None: a draft, never published
    excerpt: str
    body: str  # Markdown, ending in one newline
    featured: bool = False

    @property
    def is_draft(self) -> bool:
        return self.days_ago is None


@dataclass(frozen=True, slots=True)
class CommentSpec:
    author: str  # AuthorSpec.username
    body: str  # Markdown
    reply_to: int | None  # index into the thread's comments (0-based here), or None


@dataclass(frozen=True, slots=True)
class ThreadSpec:
    post: str  # PostSpec.slug of a published post
    comments: tuple[CommentSpec, ...]


@dataclass(frozen=True, slots=True)
class DemoContent:
    authors: tuple[AuthorSpec, ...]
    categories: tuple[CategorySpec, ...]
    tags: tuple[str, ...]
    posts: tuple[PostSpec, ...]  # newest first, drafts last: the order they are created in
    threads: tuple[ThreadSpec, ...]


def load_demo_content(root: Path | None = None) -> DemoContent:
    """Parse `site.toml` and `posts/*.md` under `root` (default: the shipped content).

    Raises DemoContentError, naming the file and field, on the first problem found.
    """
    root = CONTENT_DIR if root is None else root
    site_path = root / "site.toml"
    if not site_path.is_file():
        raise DemoContentError(site_path, "site.toml", "the file does not exist")
    site = _read_toml(site_path, site_path.read_text(encoding="utf-8"), "site.toml")
    tags = tuple(_str_list(site_path, site, "tags"))
    authors = tuple(
        _author(site_path, i, table) for i, table in _tables(site_path, site, "authors")
    )
    categories = tuple(
        CategorySpec(
            name=_str(site_path, t, "name", f"categories[{i}]."),
            description=_str(site_path, t, "description", f"categories[{i}].", required=False),
        )
        for i, t in _tables(site_path, site, "categories")
    )
    _check_unique(site_path, "tags", tags)
    _check_unique(site_path, "authors.username", [a.username for a in authors])
    _check_unique(site_path, "authors.email", [a.email.lower() for a in authors])
    _check_unique(site_path, "categories.name", [c.name for c in categories])
    known = _Known(
        authors={a.username for a in authors},
        categories={c.name for c in categories},
        tags=set(tags),
    )
    posts = tuple(
        sorted(
            (_post(path, known) for path in sorted((root / "posts").glob("*.md"))),
            # Newest first and drafts last, so the primary keys follow the timeline.
            key=lambda post: (post.is_draft, post.days_ago or 0, post.slug),
        )
    )
    published = {post.slug for post in posts if not post.is_draft}
    threads = tuple(
        _thread(site_path, i, table, known, published)
        for i, table in _tables(site_path, site, "threads")
    )
    return DemoContent(
        authors=authors, categories=categories, tags=tags, posts=posts, threads=threads
    )


@dataclass(frozen=True, slots=True)
class _Known:
    authors: set[str]
    categories: set[str]
    tags: set[str]


def _read_toml(path: Path, text: str, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise DemoContentError(path, what, f"not valid TOML ({error})") from error


def _str(
    path: Path, table: dict[str, Any], key: str, prefix: str = "", *, required: bool = True
) -> str:
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        problem = "is missing" if value is None else "must be a non-empty string"
        raise DemoContentError(path, prefix + key, problem)
    return value


def _str_list(path: Path, table: dict[str, Any], key: str, prefix: str = "") -> list[str]:
    value = table.get(key)
    if value is None:
        raise DemoContentError(path, prefix + key, "is missing")
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise DemoContentError(path, prefix + key, "must be a list of non-empty strings")
    return value


def _tables(
    path: Path, table: dict[str, Any], key: str, prefix: str = ""
) -> list[tuple[int, dict[str, Any]]]:
    value = table.get(key)
    if value is None:
        raise DemoContentError(path, prefix + key, "is missing")
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise DemoContentError(path, prefix + key, "must be an array of tables ([[…]])")
    return list(enumerate(value))


def _check_unique(path: Path, field: str, values: list[str] | tuple[str, ...]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise DemoContentError(path, field, f"{value!r} is listed twice")
        seen.add(value)


def _author(path: Path, index: int, table: dict[str, Any]) -> AuthorSpec:
    prefix = f"authors[{index}]."
    return AuthorSpec(
        username=_str(path, table, "username", prefix),
        email=_str(path, table, "email", prefix),
        display_name=_str(path, table, "display_name", prefix),
        bio=_str(path, table, "bio", prefix, required=False),
    )


def _one_of(path: Path, field: str, value: str, allowed: set[str], what: str) -> str:
    if value not in allowed:
        raise DemoContentError(
            path, field, f"unknown {what} {value!r} (known: {', '.join(sorted(allowed))})"
        )
    return value


def _post(path: Path, known: _Known) -> PostSpec:
    slug = path.stem
    if not _SLUG.match(slug):
        raise DemoContentError(path, "slug", f"file name {slug!r} is not a lowercase slug")
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise DemoContentError(
            path, "front matter", "the file must open with TOML front matter between +++ lines"
        )
    meta = _read_toml(path, match["meta"], "front matter")
    if missing := sorted(_POST_FIELDS - meta.keys()):
        raise DemoContentError(path, missing[0], "is missing from the front matter")
    if unknown := sorted(meta.keys() - _POST_FIELDS - _POST_OPTIONAL):
        raise DemoContentError(path, unknown[0], "is not a front matter field")
    status = _one_of(path, "status", _str(path, meta, "status"), set(_STATUSES), "status")
    days_ago = meta.get("days_ago")
    if status == "published" and (
        not isinstance(days_ago, int) or isinstance(days_ago, bool) or days_ago < 0
    ):
        raise DemoContentError(
            path, "days_ago", "published posts need a whole number of days, 0 or more"
        )
    if status == "draft" and days_ago is not None:
        raise DemoContentError(path, "days_ago", "drafts have no publication date")
    featured = meta.get("featured", False)
    if not isinstance(featured, bool):
        raise DemoContentError(path, "featured", "must be true or false")
    body = match["body"].strip()
    if not body:
        raise DemoContentError(path, "body", "the Markdown body after the front matter is empty")
    return PostSpec(
        slug=slug,
        title=_str(path, meta, "title"),
        author=_one_of(path, "author", _str(path, meta, "author"), known.authors, "author"),
        category=_one_of(
            path, "category", _str(path, meta, "category"), known.categories, "category"
        ),
        tags=tuple(
            _one_of(path, "tags", tag, known.tags, "tag") for tag in _str_list(path, meta, "tags")
        ),
        days_ago=days_ago if status == "published" else None,
        excerpt=_str(path, meta, "excerpt", required=False),
        body=body + "\n",
        featured=featured,
    )


def _thread(
    path: Path, index: int, table: dict[str, Any], known: _Known, published: set[str]
) -> ThreadSpec:
    prefix = f"threads[{index}]."
    post = _str(path, table, "post", prefix)
    if post not in published:
        raise DemoContentError(path, prefix + "post", f"{post!r} is not a published demo post")
    comments: list[CommentSpec] = []
    for number, comment in _tables(path, table, "comments", prefix):
        where = f"{prefix}comments[{number}]."
        reply_to = comment.get("reply_to")
        if reply_to is not None and (
            not isinstance(reply_to, int)
            or isinstance(reply_to, bool)
            or not 1 <= reply_to <= number
        ):
            earlier = f"1 to {number}" if number else "none: this is the first comment"
            raise DemoContentError(
                path, where + "reply_to", f"must number an earlier comment ({earlier})"
            )
        comments.append(
            CommentSpec(
                author=_one_of(
                    path,
                    where + "author",
                    _str(path, comment, "author", where),
                    known.authors,
                    "author",
                ),
                body=_str(path, comment, "body", where),
                reply_to=reply_to - 1 if reply_to is not None else None,
            )
        )
    return ThreadSpec(post=post, comments=tuple(comments))
