"""HEAD is answered wherever GET is, with the same status, no body, and no side effect.

The test walks every URL pattern of the project (the admin's many model pages are
sampled), fills each parameter with an object that exists (every model gets pk 4242,
every slug is "hello"), and asks HEAD then GET, anonymously and as an admin whose
session passed the second factor.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.blog.models import Category, Post, Revision, Tag
from apps.blog.services.previews import create_preview_link
from apps.notifications.models import Kind, Notification
from tests.factories.accounts import UserFactory
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory
from tests.factories.comments import CommentFactory

PK = 4242
_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
# Django admin model pages all come from the same ModelAdmin views: a sample is enough.
ADMIN_SAMPLE = {"admin/", "admin/blog/post/", "admin/blog/post/add/", "admin/accounts/user/"}


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


def _fill(route: str, values: dict[str, str]) -> str | None:
    if route.startswith("newsletter/anymail/"):
        # django-anymail's webhooks are POST-only, but answer HEAD 200 on purpose: some mail
        # providers check a webhook URL with HEAD when it is configured.
        return None
    if route.startswith("admin/"):
        return "/" + route if route in ADMIN_SAMPLE else None
    if "^" in route or "(" in route:  # regex patterns (allauth's email and reset keys)
        plain = route.replace("^", "").replace("$", "")
        return None if "(" in plain else "/" + plain
    return "/" + _PARAM.sub(lambda m: values.get(m["name"], str(PK)), route)


@pytest.fixture
def site(db) -> dict[str, str]:
    owner = UserFactory.create(pk=PK, username="hello")
    category = CategoryFactory.create(pk=PK, slug="hello")
    tag = TagFactory.create(pk=PK, slug="hello")
    post = PostFactory.create(pk=PK, slug="hello", author=owner, category=category)
    post.tags.add(tag)
    CommentFactory.create(pk=PK, post=post)
    Revision.objects.create(pk=PK, post=post, author=owner, title=post.title, body=post.body)
    admin = _admin()
    Notification.objects.create(pk=PK, recipient=admin, kind=Kind.POST_COMMENT, text="x", post=post)
    _, token = create_preview_link(actor=admin, post=post)
    assert post.published_at is not None
    published = timezone.localtime(post.published_at)
    return {
        "token": token,
        "move": "publish",
        "action": "approve",
        "slug": "hello",
        "username": "hello",
        "public_id": "nope",
        "year": str(published.year),
        "month": str(published.month),
    }


def _admin() -> User:
    admin = UserFactory.create(email="admin@example.com", is_staff=True, is_superuser=True)
    admin.groups.add(Group.objects.get(name=Role.ADMIN.value))
    return admin


def _admin_client() -> Client:
    admin = User.objects.get(email="admin@example.com")
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _urls(values: dict[str, str]) -> list[str]:
    urls = [_fill(route, values) for route in _routes(get_resolver().url_patterns)]
    return [url for url in urls if url is not None]


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_head_answers_like_get_on_every_route(site, settings, who):
    settings.API_RATE_LIMIT_ANON = settings.API_RATE_LIMIT_USER = 1_000_000
    client = _admin_client() if who == "admin" else Client(raise_request_exception=False)
    urls = _urls(site)
    assert len(urls) > 150  # the walk found the site, not an empty resolver

    mismatches, bodies, errors, served = [], [], [], 0
    for url in urls:
        head = client.head(url)  # HEAD first: were it to act, GET would show it
        get = client.get(url)
        if head.status_code != get.status_code:
            mismatches.append((url, head.status_code, get.status_code))
        if _body(head):
            bodies.append(url)
        served += get.status_code == 200
        if get.status_code >= 500:
            errors.append((url, get.status_code))
    assert mismatches == []
    assert bodies == []
    assert errors == []  # no route answers a plain GET with a server error
    assert served > 40  # most routes really rendered something (not only 404/405)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/posts/hello/", "/feed/", "/sitemap.xml", "/api/v2/posts", "/api/v1/tags"]
)
def test_head_keeps_the_gets_headers_without_the_body(site, client, url):
    get = client.get(url)
    head = client.head(url)

    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"]
    assert int(head["Content-Length"]) == len(get.content)


@pytest.mark.django_db
def test_head_on_the_api_keeps_etag_and_rate_limit_headers(site, client):
    get = client.get("/api/v2/posts")
    head = client.head("/api/v2/posts")

    assert head["ETag"] == get["ETag"]
    assert "RateLimit-Remaining" in head
    assert client.head("/api/v2/posts", headers={"If-None-Match": get["ETag"]}).status_code == 304


@pytest.mark.django_db
def test_head_never_performs_a_confirm_views_action(site):
    client = _admin_client()
    category, tag = Category.objects.get(pk=PK), Tag.objects.get(pk=PK)
    target = UserFactory.create()

    answers = [
        client.head(f"/dashboard/users/{target.pk}/deactivate/").status_code,
        client.head(f"/dashboard/categories/{PK}/delete/").status_code,
        client.head(f"/dashboard/categories/{PK}/edit/").status_code,
        client.head(f"/dashboard/tags/{PK}/edit/").status_code,
        client.head(f"/dashboard/posts/{PK}/edit/").status_code,
        client.head("/dashboard/posts/new/").status_code,
    ]

    assert answers == [200] * 6
    target.refresh_from_db()
    assert target.is_active
    assert Category.objects.filter(pk=category.pk).exists()
    assert Tag.objects.get(pk=tag.pk).name == tag.name
    assert Post.objects.count() == 1
    # A POST still acts (the confirm page's form).
    assert client.post(f"/dashboard/users/{target.pk}/deactivate/").status_code in {200, 302}
    target.refresh_from_db()
    assert not target.is_active
