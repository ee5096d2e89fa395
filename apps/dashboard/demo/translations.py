"""The demo site's translations: posts in German and Arabic, translated categories and tags.

The files live in `content/translations/`:

- `<language>/<source slug>.md`: a translation of the demo post `<source slug>`, with TOML
  front matter (`title`, `slug`, `excerpt`, `translator` (an author's username),
  `status`: "published" or "draft") and the translated Markdown body. A published
  translation is dated a day after its source.
- `taxonomy.toml`: `[categories."<English name>"]` and `[tags."<English name>"]` tables
  with `<language> = { name, slug, description }` entries.

Languages the site does not publish in (SITE_LANGUAGES) are skipped, so the demo works on
a site in English only. Like the rest of the demo, running it again adds nothing.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.blog.models import Category, Post, Tag
from apps.blog.services import create_post
from apps.dashboard.demo.content import CONTENT_DIR, DemoContentError

TRANSLATIONS_DIR = CONTENT_DIR / "translations"
_FRONT_MATTER = re.compile(r"\A\+\+\+\n(?P<meta>.*?)^\+\+\+\n(?P<body>.*)\Z", re.DOTALL | re.M)
_SLUG = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_FIELDS = {"title", "slug", "excerpt", "translator", "status"}


@dataclass(frozen=True, slots=True)
class TranslationSpec:
    language: str
    source: str  # the source post's slug
    slug: str
    title: str
    excerpt: str
    translator: str
    published: bool
    body: str


def load_translations(root: Path | None = None) -> list[TranslationSpec]:
    """Parse every `<language>/<slug>.md` under `root`; DemoContentError names the problem."""
    root = TRANSLATIONS_DIR if root is None else root
    specs = []
    for path in sorted(root.glob("*/*.md")):
        match = _FRONT_MATTER.match(path.read_text(encoding="utf-8"))
        if match is None:
            raise DemoContentError(path, "front matter", "the file must open with +++ … +++")
        try:
            meta = tomllib.loads(match["meta"])
        except tomllib.TOMLDecodeError as error:
            raise DemoContentError(path, "front matter", str(error)) from error
        if set(meta) != _FIELDS:
            raise DemoContentError(path, "front matter", f"needs exactly {sorted(_FIELDS)}")
        if not _SLUG.match(meta["slug"]):
            raise DemoContentError(path, "slug", "lowercase letters, digits and hyphens")
        if meta["status"] not in {"published", "draft"}:
            raise DemoContentError(path, "status", 'must be "published" or "draft"')
        specs.append(
            TranslationSpec(
                language=path.parent.name,
                source=path.stem,
                slug=meta["slug"],
                title=meta["title"],
                excerpt=meta["excerpt"],
                translator=meta["translator"],
                published=meta["status"] == "published",
                body=match["body"].strip() + "\n",
            )
        )
    return specs


def load_taxonomy(root: Path | None = None) -> dict[str, dict[str, dict[str, dict[str, str]]]]:
    path = (TRANSLATIONS_DIR if root is None else root) / "taxonomy.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DemoContentError(path, "taxonomy.toml", str(error)) from error


@transaction.atomic
def seed_demo_translations(root: Path | None = None) -> int:
    """Create the missing demo translations and taxonomy names; return how many posts."""
    languages = set(settings.SITE_LANGUAGES) - {settings.LANGUAGE_CODE}
    taxonomy = load_taxonomy(root)
    for model, key in ((Category, "categories"), (Tag, "tags")):
        for item in model.objects.filter(name__in=list(taxonomy.get(key, {}))):
            wanted = {
                code: entry for code, entry in taxonomy[key][item.name].items() if code in languages
            }
            if any(code not in item.translations for code in wanted):
                item.translations = {**wanted, **item.translations}
                item.save(update_fields=["translations"])
    created = 0
    for spec in load_translations(root):
        if spec.language not in languages:
            continue
        source = Post.objects.filter(slug=spec.source, language=settings.LANGUAGE_CODE).first()
        translator = User.objects.filter(username=spec.translator).first()
        if source is None or translator is None:
            continue  # the demo's own posts and authors are seeded first
        if Post.objects.filter(translation_of=source, language=spec.language).exists():
            continue
        published = spec.published and source.published_at is not None
        post = create_post(
            author=translator,
            title=spec.title,
            body=spec.body,
            excerpt=spec.excerpt,
            slug=spec.slug,
            category=source.category,
            tags=list(source.tags.all()),
            status=Post.Status.PUBLISHED if published else Post.Status.DRAFT,
            published_at=min(source.published_at + timedelta(days=1), timezone.now())
            if published and source.published_at
            else None,
            language=spec.language,
            translation_of=source,
        )
        created += post.pk is not None
    return created
