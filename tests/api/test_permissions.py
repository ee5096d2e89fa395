"""Roles by endpoints: who gets what from every route (table-driven)."""

from __future__ import annotations

import pytest

from apps.accounts.roles import Role
from apps.blog.models import Post
from tests.accounts.conftest import make_user_with_role
from tests.api.conftest import access_for, call
from tests.factories.accounts import UserFactory
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "reader", "author", "editor", "admin"]

# (method, path, expected status per role in ROLES order); {draft} is another author's draft,
# {own} the caller's draft (anonymous and readers cannot have one: it is someone else's).
MATRIX = [
    ("get", "/api/{v}/posts", [200, 200, 200, 200, 200]),
    ("get", "/api/{v}/posts/published", [200, 200, 200, 200, 200]),
    ("get", "/api/{v}/posts/{draft}", [404, 404, 404, 200, 200]),
    ("get", "/api/{v}/posts/{own}", [404, 404, 200, 200, 200]),
    ("get", "/api/{v}/posts?status=draft", [401, 403, 200, 200, 200]),
    ("get", "/api/{v}/me", [401, 200, 200, 200, 200]),
    ("patch", "/api/{v}/me", [401, 200, 200, 200, 200]),
    ("get", "/api/{v}/categories", [200, 200, 200, 200, 200]),
    ("get", "/api/{v}/categories/essays", [200, 200, 200, 200, 200]),
    ("get", "/api/{v}/tags", [200, 200, 200, 200, 200]),
    ("get", "/api/{v}/tags/python", [200, 200, 200, 200, 200]),
    ("get", "/api/{v}/authors", [200, 200, 200, 200, 200]),
    ("get", "/api/{v}/authors/{author}", [200, 200, 200, 200, 200]),
    ("post", "/api/{v}/auth/logout", [401, 401, 401, 401, 401]),
    ("post", "/api/{v}/auth/refresh", [401, 401, 401, 401, 401]),
]


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize(
    ("method", "path", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX]
)
@pytest.mark.parametrize("role", ROLES)
def test_role_can_reach_endpoint(api, version, method, path, expected, role):
    writer = make_user_with_role(Role.AUTHOR)
    PostFactory.create(
        slug="published",
        author=writer,
        category=CategoryFactory.create(slug="essays"),
        tags=[TagFactory.create(slug="python")],
    )
    PostFactory.create(slug="draft", author=writer, status=Post.Status.DRAFT, published_at=None)
    token = None
    own = "draft"
    if role != "anonymous":
        user = UserFactory.create() if role == "reader" else make_user_with_role(Role(role))
        token = access_for(user)
        if role != "reader":
            own = PostFactory.create(
                slug=f"own-{role}", author=user, status=Post.Status.DRAFT, published_at=None
            ).slug
    url = path.format(v=version, draft="draft", own=own, author=writer.username)
    body = (
        {"refresh_token": "iwr_not-mine"} if "auth" in path else ({} if method == "patch" else None)
    )

    response = call(api, method, url, token=token, body=body)

    assert response.status_code == expected[ROLES.index(role)], response.content


# Comments and notifications: {own} is the caller's comment (anonymous: someone else's),
# {theirs} another reader's published comment, {held} another reader's held comment.
# Every signed-in caller here has a verified email (only verified users may comment).
COMMENTS_MATRIX = [
    ("get", "/api/{v}/posts/published/comments", None, [200, 200, 200, 200, 200]),
    ("get", "/api/{v}/posts/draft/comments", None, [404, 404, 404, 404, 404]),
    ("post", "/api/{v}/posts/published/comments", {"body": "Hi"}, [401, 201, 201, 201, 201]),
    ("post", "/api/{v}/posts/draft/comments", {"body": "Hi"}, [401, 404, 404, 404, 404]),
    ("patch", "/api/{v}/comments/{own}", {"body": "Edited"}, [401, 200, 200, 200, 200]),
    ("patch", "/api/{v}/comments/{theirs}", {"body": "Edited"}, [401, 403, 403, 403, 403]),
    ("patch", "/api/{v}/comments/{held}", {"body": "Edited"}, [401, 404, 404, 403, 403]),
    ("delete", "/api/{v}/comments/{own}", None, [401, 204, 204, 204, 204]),
    ("delete", "/api/{v}/comments/{theirs}", None, [401, 403, 403, 204, 204]),
    ("delete", "/api/{v}/comments/{held}", None, [401, 404, 404, 204, 204]),
    ("post", "/api/{v}/comments/{theirs}/report", {}, [401, 201, 201, 201, 201]),
    ("post", "/api/{v}/comments/{own}/report", {}, [401, 403, 403, 403, 403]),
    ("post", "/api/{v}/comments/{held}/report", {}, [401, 404, 404, 409, 409]),
    ("get", "/api/{v}/notifications", None, [401, 200, 200, 200, 200]),
    ("post", "/api/{v}/notifications/read", {"all": True}, [401, 200, 200, 200, 200]),
    ("get", "/api/{v}/notifications/preferences", None, [401, 200, 200, 200, 200]),
    ("put", "/api/{v}/notifications/preferences", {"mention": "off"}, [401, 200, 200, 200, 200]),
]


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    COMMENTS_MATRIX,
    ids=[f"{m} {p}" for m, p, _, _ in COMMENTS_MATRIX],
)
@pytest.mark.parametrize("role", ROLES)
def test_role_can_reach_comment_endpoint(api, version, method, path, body, expected, role):
    from apps.comments.models import Comment
    from tests.comments.conftest import make_verified
    from tests.factories.comments import CommentFactory

    published = PostFactory.create(slug="published", comments_open=True)
    PostFactory.create(slug="draft", status=Post.Status.DRAFT, published_at=None)
    theirs = CommentFactory.create(post=published)
    held = CommentFactory.create(post=published, status=Comment.Status.HELD)
    token, own = None, theirs
    if role != "anonymous":
        user = UserFactory.create() if role == "reader" else make_user_with_role(Role(role))
        token = access_for(make_verified(user))
        # Published comments make the caller a returning commenter: nothing is held.
        own = CommentFactory.create(post=published, author=user)
    url = path.format(v=version, own=own.pk, theirs=theirs.pk, held=held.pk)

    response = call(api, method, url, token=token, body=body)

    assert response.status_code == expected[ROLES.index(role)], response.content
