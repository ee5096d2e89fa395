"""`manage.py seed_bench_posts`: many generated published posts, for benchmarks only.

Bench posts are recognised by their slug (`bench-000001`, …); their authors, category and
tags by the `bench-` prefix too. Running the command again tops the set up to N (posts
that exist are left alone); `--reset` deletes the bench posts first. It refuses to write
into a database that holds any other post, unless `--force`: the benchmark is meant for a
throwaway database, not a site with real content.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.blog.management.bench_text import TextGenerator
from apps.blog.models import Category, Post, Tag

PREFIX = "bench-"
AUTHORS = ("Ada Bench", "Brook Bench", "Cyd Bench", "Dee Bench", "Eli Bench", "Fay Bench")
CATEGORIES = ("Engineering", "Design", "Writing", "Travel", "Food", "Science", "Culture")
TAGS = [
    "python",
    "django",
    "postgres",
    "caching",
    "search",
    "performance",
    "css",
    "accessibility",
    "htmx",
    "testing",
    "security",
    "typography",
    "photography",
    "gardening",
    "cooking",
    "cycling",
    "music",
    "books",
    "history",
    "maps",
    "climate",
    "startups",
    "open-source",
    "teaching",
    "hiring",
    "remote-work",
    "interviews",
    "essays",
    "notes",
]
WORDS_PER_MINUTE = 230


def bench_slug(number: int) -> str:
    return f"{PREFIX}{number:06d}"


def _some(tags: list[Tag], seed: str) -> list[Tag]:
    rng = random.Random(seed)  # noqa: S311 (bench data, not secrets)
    return rng.sample(tags, rng.randint(1, 4))


class Command(BaseCommand):
    help = (
        "For benchmarks only: create N generated published posts (default 100,000) with a "
        "handful of authors, categories and tags, in batches. Running it again tops up to "
        "N; --reset deletes the bench posts first. Refuses a database that holds any post "
        "whose slug does not start with 'bench-' unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--posts", type=int, default=100_000, help="How many bench posts.")
        parser.add_argument("--batch", type=int, default=1_000, help="Rows per INSERT batch.")
        parser.add_argument("--seed", type=int, default=1, help="Seed of the generated text.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the bench posts before seeding."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though the database holds real (non-bench) posts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total: int = options["posts"]
        batch: int = max(1, options["batch"])
        if total < 0:
            raise CommandError("--posts must be zero or more.")
        real = Post.objects.exclude(slug__startswith=PREFIX).count()
        if real and not options["force"]:
            raise CommandError(
                f"This database holds {real} post(s) that are not bench posts (their slugs "
                f"do not start with {PREFIX!r}): it looks like a real site. Seed a throwaway "
                "database instead, or pass --force."
            )
        if options["reset"]:
            deleted = self._reset()
            self.stdout.write(f"Deleted {deleted} bench post(s).")
        started = time.monotonic()
        created = self._seed(total, batch, TextGenerator(options["seed"]))
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Created {created} bench post(s) in {elapsed:.1f} s; "
            f"{Post.objects.filter(slug__startswith=PREFIX).count()} in all."
        )

    def _reset(self) -> int:
        with transaction.atomic():
            posts = Post.objects.filter(slug__startswith=PREFIX)
            Post.tags.through.objects.filter(post__in=posts).delete()
            _, by_model = posts.delete()
        return by_model.get(Post._meta.label, 0)

    def _seed(self, total: int, batch: int, text: TextGenerator) -> int:
        existing = set(Post.objects.filter(slug__startswith=PREFIX).values_list("slug", flat=True))
        missing = [n for n in range(1, total + 1) if bench_slug(n) not in existing]
        if not missing:
            return 0
        authors, categories, tags = self._taxonomy()
        now = timezone.now()
        for start in range(0, len(missing), batch):
            numbers = missing[start : start + batch]
            with transaction.atomic():
                posts = Post.objects.bulk_create(
                    [self._post(n, text, now, authors, categories) for n in numbers]
                )
                Post.tags.through.objects.bulk_create(
                    Post.tags.through(post_id=post.pk, tag_id=tag.pk)
                    for post in posts
                    for tag in _some(tags, post.slug)
                )
            self.stdout.write(f"  {start + len(numbers)} / {len(missing)}", ending="\r")
            self.stdout.flush()
        self.stdout.write("")
        return len(missing)

    def _post(
        self,
        number: int,
        text: TextGenerator,
        now: Any,
        authors: list[User],
        categories: list[Category],
    ) -> Post:
        generated = text.post(number)
        rng = random.Random(number)  # noqa: S311 (bench data, not secrets)
        published = now - timedelta(minutes=5 + rng.randint(0, 5 * 365 * 24 * 60))
        return Post(
            title=generated.title,
            slug=bench_slug(number),
            subtitle=generated.subtitle,
            excerpt=generated.excerpt,
            body=generated.body,
            body_html=generated.body_html,
            toc=generated.toc,
            author=authors[number % len(authors)],
            category=categories[rng.randrange(len(categories))],
            status=Post.Status.PUBLISHED,
            published_at=published,
            created_at=published,
            reading_minutes=max(1, round(generated.words / WORDS_PER_MINUTE)),
        )

    def _taxonomy(self) -> tuple[list[User], list[Category], list[Tag]]:
        authors = []
        for name in AUTHORS:
            username = PREFIX + name.split()[0].lower()
            author = User.objects.filter(username=username).first()
            if author is None:
                author = User.objects.create_user(
                    f"{username}@example.invalid", None, username=username, display_name=name
                )
            authors.append(author)
        categories = [
            Category.objects.get_or_create(
                slug=PREFIX + name.lower(), defaults={"name": f"{name} (bench)"}
            )[0]
            for name in CATEGORIES
        ]
        tags = [
            Tag.objects.get_or_create(slug=PREFIX + name, defaults={"name": f"{name}-bench"})[0]
            for name in TAGS
        ]
        return authors, categories, tags
