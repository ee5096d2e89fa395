import shutil
import tomllib
from datetime import timedelta
from io import StringIO
from itertools import pairwise
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import User
from apps.blog import services
from apps.blog.models import Category, Post, Tag
from apps.comments.models import Comment, ModerationSettings
from apps.comments.selectors import moderation_settings
from apps.comments.services import create_comment
from apps.dashboard.demo import content as demo_content
from apps.dashboard.demo import load_demo_content
from apps.dashboard.demo.content import CONTENT_DIR, DemoContentError
from apps.dashboard.demo.seeding import DEMO_SUBSCRIBERS
from apps.newsletter.models import Campaign, Subscriber, Subscription, SubscriptionStatus
from apps.newsletter.stats import campaign_stats
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def content_copy(tmp_path):
    """A writable copy of the shipped demo content, for breaking on purpose."""
    return Path(shutil.copytree(CONTENT_DIR, tmp_path / "content"))


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_seed_demo_loads_authors_categories_tags_and_posts(capsys):
    call_command("seed_demo")
    assert User.objects.count() == 5
    assert Post.objects.filter(language="en", status=Post.Status.PUBLISHED).count() == 60
    assert Post.objects.filter(language="en", status=Post.Status.DRAFT).count() == 2
    assert Post.objects.filter(language="en", featured=True).count() == 6
    assert Category.objects.count() == 6
    assert Tag.objects.count() == 20
    assert not any(u.has_usable_password() for u in User.objects.all())
    published = Post.objects.filter(language="en", status=Post.Status.PUBLISHED)
    assert all("<h2 id=" in p.body_html and "<script" not in p.body_html for p in published)
    assert all(len(p.toc) >= 2 for p in published)
    assert all("Further reading" in p.body for p in published)
    assert "Demo content: 5 authors (5 new), 62 posts (62 new)" in capsys.readouterr().out


def test_seed_demo_takes_posts_fields_from_the_front_matter():
    call_command("seed_demo")
    post = Post.objects.select_related("author", "category").get(slug="designing-the-empty-state")
    assert post.title == "Designing the Empty State"
    assert post.author.email == "priya.raman@example.com"
    assert post.author.display_name == "Priya Raman"
    assert post.category is not None
    assert post.category.name == "Design"
    assert sorted(post.tags.values_list("name", flat=True)) == ["Accessibility", "Writing"]
    assert post.excerpt.startswith("The first screen a new user sees is usually empty.")
    assert post.body.startswith("We spend weeks designing a dashboard full of data")
    assert Post.objects.get(slug="the-boring-migration-checklist").featured
    draft = Post.objects.get(slug="what-our-analytics-dont-say")
    assert draft.status == Post.Status.DRAFT
    assert draft.published_at is None


def test_seed_demo_dates_posts_the_given_days_back_in_creation_order():
    call_command("seed_demo")
    newest = Post.objects.get(slug="designing-the-empty-state")  # days_ago = 2
    older = Post.objects.get(slug="cutting-the-first-paragraph")  # days_ago = 7
    # Whole days back, at a time of day that varies: days + days % 9 hours + days % 47 minutes.
    assert newest.published_at is not None
    assert older.published_at is not None
    assert newest.published_at - older.published_at == timedelta(days=5, hours=5, minutes=5)
    slugs = list(Post.objects.filter(language="en").order_by("pk").values_list("slug", flat=True))
    assert slugs[0] == "designing-the-empty-state"
    assert slugs[-2:] == ["notes-toward-a-house-style-guide", "what-our-analytics-dont-say"]
    by_date = list(
        Post.objects.filter(language="en", status=Post.Status.PUBLISHED)
        .order_by("-published_at")
        .values_list("slug", flat=True)
    )
    assert by_date == slugs[:-2]


def test_seed_demo_starts_a_threaded_conversation_without_notifying_anyone(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
        call_command("seed_demo")
    thread = Comment.objects.filter(post__slug="designing-the-empty-state")
    assert thread.count() == 5
    assert sorted(thread.values_list("depth", flat=True)) == [0, 0, 1, 2, 2]
    assert all(c.is_public and "<script" not in c.body_html for c in thread)
    times = list(thread.order_by("pk").values_list("created_at", flat=True))
    assert all(later - earlier == timedelta(hours=1) for earlier, later in pairwise(times))
    deepest = thread.select_related("parent__author").get(body__startswith="One action")
    assert deepest.parent is not None
    assert deepest.parent.author is not None
    assert deepest.parent.author.username == "priya"
    assert deepest.depth == deepest.parent.depth == 2  # replies below the last level...
    assert deepest.thread_parent == deepest.parent.parent  # ...are shown beside their parent
    assert not Notification.objects.exists()
    page = client.get("/posts/designing-the-empty-state/").content.decode()
    assert page.count("data-comment-id=") == 5
    assert "in reply to" in page.lower()


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo", "--admin")
    call_command("seed_demo", "--admin")
    assert Post.objects.filter(language="en").count() == 62
    assert User.objects.count() == 7  # the authors, the admin and the demo reader
    assert Comment.objects.count() == 6  # the demo conversation and the reader's one comment
    assert (Category.objects.count(), Tag.objects.count()) == (6, 20)
    out = capsys.readouterr().out
    second_run = (
        "5 authors (0 new), 62 posts (0 new), 0 new translations, 6 categories, 20 tags, 0 new comments, "
        "0 new newsletter subscribers."
    )
    assert f"Demo content: {second_run}" in out
    assert "already exists" in out


def test_seed_demo_leaves_an_edited_post_as_it_is():
    call_command("seed_demo")
    Post.objects.filter(slug="verbs-do-the-work").update(title="Edited by hand")
    Post.objects.filter(slug="icons-need-words").delete()
    call_command("seed_demo")
    assert Post.objects.get(slug="verbs-do-the-work").title == "Edited by hand"
    assert Post.objects.filter(slug="icons-need-words").exists()
    assert Post.objects.filter(language="en").count() == 62


def test_seed_demo_admin_prints_working_credentials(capsys):
    call_command("seed_demo", "--admin")
    assert "admin@example.com" in capsys.readouterr().out
    admin = User.objects.get(email="admin@example.com")
    assert admin.is_superuser
    assert admin.check_password("inkwell-demo-admin")
    reader = User.objects.get(email="reader@example.com")
    assert reader.check_password("inkwell-demo-reader")
    assert not reader.is_staff
    assert not reader.groups.exclude(name="reader").exists()


def test_seed_demo_refuses_the_public_admin_password_in_production(settings):
    settings.DJANGO_ENV = "production"
    with pytest.raises(CommandError, match="refused in production"):
        call_command("seed_demo", "--admin")
    assert not User.objects.exists()


def test_seed_demo_refuses_a_taken_username_and_writes_nothing():
    User.objects.create_user("someone.else@example.com", None, username="tomas")
    with pytest.raises(CommandError, match=r"demo author tomas\.reyes@example\.com.*'tomas'"):
        call_command("seed_demo")
    assert User.objects.count() == 1
    assert not Post.objects.exists()


def test_seed_demo_reports_broken_content_by_file_and_field(content_copy, monkeypatch):
    post = content_copy / "posts" / "verbs-do-the-work.md"
    replace_in(post, 'author = "jonah"', 'author = "nobody"')
    monkeypatch.setattr(demo_content, "CONTENT_DIR", content_copy)
    with pytest.raises(CommandError, match=r"verbs-do-the-work\.md: author: unknown author"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_load_demo_content_reads_the_shipped_files():
    content = load_demo_content()
    assert len(content.posts) == len(list((CONTENT_DIR / "posts").glob("*.md"))) == 62
    assert [thread.post for thread in content.threads] == ["designing-the-empty-state"]


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "problem"),
    [
        ("posts/verbs-do-the-work.md", 'category = "Craft"', 'category = "Poetry"', "category", "unknown category 'Poetry'"),
        ("posts/verbs-do-the-work.md", '"Writing"', '"Prose"', "tags", "unknown tag 'Prose'"),
        ("posts/verbs-do-the-work.md", 'title = "Verbs Do the Work"\n', "", "title", "is missing"),
        ("posts/verbs-do-the-work.md", "days_ago = 171", "days_ago = -1", "days_ago", "whole number"),
        ("posts/verbs-do-the-work.md", "days_ago = 171\n", "", "days_ago", "whole number"),
        ("posts/verbs-do-the-work.md", 'status = "published"', 'status = "live"', "status", "unknown status"),
        ("posts/verbs-do-the-work.md", "+++\ntitle", "title", "front matter", "+++ lines"),
        ("posts/what-our-analytics-dont-say.md", 'status = "draft"', 'status = "draft"\ndays_ago = 3', "days_ago", "drafts"),
        ("posts/what-our-analytics-dont-say.md", 'status = "draft"', 'status = "draft"\nsubtitel = "x"', "subtitel", "not a front matter field"),
        ("site.toml", 'post = "designing-the-empty-state"', 'post = "what-our-analytics-dont-say"', "threads[0].post", "not a published demo post"),
        ("site.toml", "reply_to = 3", "reply_to = 4", "threads[0].comments[3].reply_to", "earlier comment (1 to 3)"),
        ("site.toml", 'author = "jonah"\nbody', 'author = "jon"\nbody', "threads[0].comments[4].author", "unknown author 'jon'"),
        ("site.toml", 'username = "aiko"', 'username = "mara"', "authors.username", "'mara' is listed twice"),
    ],
)  # fmt: skip
def test_load_demo_content_names_the_file_and_field_of_a_problem(
    content_copy, file, old, new, field, problem
):
    replace_in(content_copy / file, old, new)
    with pytest.raises(DemoContentError) as caught:
        load_demo_content(content_copy)
    assert caught.value.path == content_copy / file
    assert caught.value.field == field
    assert f"{file.split('/')[-1]}: {field}: " in str(caught.value)
    assert problem in str(caught.value)


def test_package_data_ships_every_demo_content_file():
    package_data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    package_dir = CONTENT_DIR.parent
    shipped = {
        path
        for pattern in package_data["apps.dashboard.demo"]
        for path in package_dir.glob(pattern)
    }
    content_files = {
        path
        for path in CONTENT_DIR.rglob("*")
        if path.is_file()
        and path.name != "ruff.toml"  # tooling, not content
        and not any(part.startswith(".") for part in path.relative_to(CONTENT_DIR).parts)
    }
    assert content_files <= shipped


def test_seed_demo_gives_the_newsletter_pages_subscribers_and_a_sent_campaign():
    call_command("seed_demo")
    assert Subscriber.objects.count() == DEMO_SUBSCRIBERS
    assert Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).exists()
    assert Subscription.objects.filter(status=SubscriptionStatus.UNSUBSCRIBED).exists()
    campaign = Campaign.objects.get()
    numbers = campaign_stats(campaign)
    assert numbers.recipients == campaign.recipients_count > 0
    assert numbers.failed == 1
    assert numbers.sent == numbers.recipients - 1
    assert all(s.email.endswith("@example.com") for s in Subscriber.objects.all())


def test_the_demo_reader_is_a_trusted_commenter():
    call_command("seed_demo", "--admin")
    assert moderation_settings().hold == ModerationSettings.Hold.FIRST_TIME
    reader = User.objects.get(email="reader@example.com")
    post = Post.objects.filter(
        language="en", status=Post.Status.PUBLISHED, comments_open=True
    ).first()
    assert post is not None
    comment = create_comment(actor=reader, post=post, body="Trying comments from the README.")
    assert comment.status == Comment.Status.PUBLISHED


def test_seeding_again_trusts_a_demo_reader_made_before(capsys):
    call_command("seed_demo", "--admin")
    reader = User.objects.get(email="reader@example.com")
    Comment.objects.filter(author=reader).delete()
    call_command("seed_demo", "--admin")
    assert Comment.objects.filter(author=reader, status=Comment.Status.PUBLISHED).count() == 1


def test_seed_demo_adds_translated_posts_and_taxonomy_names():
    call_command("seed_demo", stdout=StringIO())
    german = Post.objects.get(language="de", slug="leere-zustaende-gestalten")
    assert german.translation_of == Post.objects.get(slug="designing-the-empty-state")
    assert german.status == Post.Status.PUBLISHED
    assert not services.is_outdated(german)
    assert (
        Post.objects.get(
            language="ar", translation_of__slug="counting-queries-is-a-design-tool"
        ).status
        == Post.Status.DRAFT
    )
    engineering = Category.objects.get(name="Engineering")
    assert engineering.translations["de"]["slug"]
    assert Post.objects.filter(language="de").count() == 4
    call_command("seed_demo", stdout=StringIO())  # again: nothing new
    assert Post.objects.exclude(language="en").count() == 8
