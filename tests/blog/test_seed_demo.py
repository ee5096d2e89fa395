import pytest
from django.core.management import CommandError, call_command

from apps.accounts.models import User
from apps.blog.models import Category, Post, Tag

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_authors_categories_tags_and_posts(capsys):
    call_command("seed_demo")
    assert User.objects.count() == 5
    assert Post.objects.filter(status=Post.Status.PUBLISHED).count() == 60
    assert Post.objects.filter(status=Post.Status.DRAFT).count() == 2
    assert Post.objects.filter(featured=True).count() == 6
    assert Category.objects.count() == 6
    assert Tag.objects.count() == 20
    assert not any(u.has_usable_password() for u in User.objects.all())
    published = Post.objects.filter(status=Post.Status.PUBLISHED)
    assert all("<h2 id=" in p.body_html and "<script" not in p.body_html for p in published)
    assert all(len(p.toc) >= 2 for p in published)
    assert "Demo content: 5 authors (5 new), 62 posts (62 new)" in capsys.readouterr().out


def test_seed_demo_starts_a_threaded_conversation_without_notifying_anyone(client):
    from apps.comments.models import Comment
    from apps.notifications.models import Notification

    call_command("seed_demo")
    call_command("seed_demo")
    thread = Comment.objects.filter(post__slug="designing-the-empty-state")
    assert thread.count() == 5
    assert sorted(thread.values_list("depth", flat=True)) == [0, 0, 1, 2, 2]
    assert all(c.is_public and "<script" not in c.body_html for c in thread)
    assert not Notification.objects.exists()
    page = client.get("/posts/designing-the-empty-state/").content.decode()
    assert page.count("data-comment-id=") == 5
    assert "in reply to" in page.lower()


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo", "--admin")
    call_command("seed_demo", "--admin")
    assert Post.objects.count() == 62
    assert User.objects.count() == 7  # the authors, the admin and the demo reader
    out = capsys.readouterr().out
    assert "62 posts (0 new)" in out
    assert "already exists" in out


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
