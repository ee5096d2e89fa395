"""Dashboard fixtures: users with a role, signed in the way the second-factor gate expects.

Editors and admins (and staff) need a confirmed django-otp device and an OTP-verified
session to pass RequireMFAMiddleware; authors and readers sign in with a password only.

Also the helpers several test modules share: the editor's (`_draft`, `_data`, `_edit`,
`_autosave`, `_png` and the `media` fixture), the moderation pages' (`_act`, `_toggle`, `_name`,
`_status`, `_queries`) and the posts table's (`_post`, `_row`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.blog import services
from apps.blog.models import Post
from apps.blog.services import PostContent
from apps.comments.models import Comment
from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import clear_cache, count_queries

NEEDS_SECOND_FACTOR = {Role.EDITOR, Role.ADMIN}


def give_role(user: User, role: Role) -> User:
    """Put the user in the role's group (migration accounts/0003_roles made the groups)."""
    user.groups.add(Group.objects.get(name=role.value))
    if role == Role.ADMIN and not user.is_staff:
        # As apps.accounts.services.set_role does: admins get the Django admin too.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    def make(role: Role | None = None, **fields: Any) -> User:
        user = UserFactory.create(**fields)
        return give_role(user, role) if role is not None else user

    return make


@pytest.fixture
def verified_login() -> Callable[[Client, User], Client]:
    """Sign `user` in on `client` with a confirmed TOTP device and an OTP-verified session."""

    def login(client: Client, user: User) -> Client:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return login


@pytest.fixture
def login_as(
    client: Client,
    make_user: Callable[..., User],
    verified_login: Callable[[Client, User], Client],
) -> Callable[..., User]:
    """Create a user with `role`, sign them in on `client` (verified where required), return them."""

    def login(role: Role | None, **fields: Any) -> User:
        user = make_user(role, **fields)
        if role in NEEDS_SECOND_FACTOR or user.is_staff:
            verified_login(client, user)
        else:
            client.force_login(user)
        return user

    return login


def _draft(author, *, title="On small tools", body="## Why\n\nBecause *they* last."):
    return services.start_post(actor=author, content=PostContent(title=title, body=body))


def _data(post, **overrides):
    data = {
        "title": post.title,
        "subtitle": post.subtitle,
        "body": post.body,
        "excerpt": post.excerpt,
        "slug": post.slug,
        "category": post.category_id or "",
        "cover_alt": post.cover_alt,
        "seo_title": post.seo_title,
        "seo_description": post.seo_description,
        "canonical_url": post.canonical_url,
        "version": post.version,
    }
    data.update(overrides)
    return data


def _edit(post):
    return reverse("dashboard:post_edit", args=[post.pk])


def _autosave(post):
    return reverse("dashboard:post_autosave", args=[post.pk])


def _png(name="photo.png", size=(800, 600)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _act(pk, action):
    return reverse("dashboard:moderation_act", args=[pk, action])


def _toggle(pk):
    return reverse("dashboard:moderation_post_comments", args=[pk])


def _name(comment):
    assert comment.author is not None
    return comment.author.name


def _status(comment):
    return Comment.objects.get(pk=comment.pk).status


def _queries(client, url):
    client.get(url)  # the first request of a session also writes to it
    clear_cache()
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def _post(author, status=Post.Status.DRAFT, **fields):
    when = {
        Post.Status.PUBLISHED: timezone.now() - timedelta(hours=1),
        Post.Status.ARCHIVED: timezone.now() - timedelta(days=3),
        Post.Status.SCHEDULED: timezone.now() + timedelta(days=1),
    }.get(status)
    fields.setdefault("published_at", when)
    return PostFactory.create(author=author, status=status, **fields)


def _row(html, post):
    start = html.index(f'<tr id="post-{post.pk}"')
    return html[start : html.index("</tr>", start)]
