from __future__ import annotations

import pytest

from apps.accounts.models import AuditEvent
from tests.api.conftest import access_for, call
from tests.factories.accounts import UserFactory
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_me_returns_the_account(api, author):
    response = call(api, "get", "/api/v1/me", token=access_for(author))

    assert response.status_code == 200
    data = response.json()
    assert (data["email"], data["role"], data["email_verified"]) == (author.email, "author", False)


def test_me_needs_a_token(api):
    response = call(api, "get", "/api/v1/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_patch_me_updates_profile_with_the_profile_service(api, reader):
    response = call(
        api,
        "patch",
        "/api/v1/me",
        token=access_for(reader),
        body={"display_name": "  Ada   Lovelace ", "bio": "I *write*.", "username": "Ada"},
    )

    assert response.status_code == 200, response.content
    reader.refresh_from_db()
    assert (reader.display_name, reader.username) == ("Ada Lovelace", "ada")
    assert "<em>write</em>" in reader.bio_html
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PROFILE_UPDATED, target=reader).exists()


def test_patch_me_rejects_taken_username(api, reader):
    other = UserFactory.create()

    response = call(
        api, "patch", "/api/v1/me", token=access_for(reader), body={"username": other.username}
    )

    assert response.status_code == 422
    assert response.json()["error"]["fields"]["username"] == ["This username is taken."]
    reader.refresh_from_db()
    assert reader.username != other.username


def test_patch_me_rejects_unknown_fields_and_changes_nothing(api, reader):
    response = call(
        api, "patch", "/api/v1/me", token=access_for(reader), body={"is_staff": True, "bio": "x"}
    )

    assert response.status_code == 422
    assert "is_staff" in response.json()["error"]["fields"]
    reader.refresh_from_db()
    assert (reader.is_staff, reader.bio) == (False, "")


def test_categories_tags_and_authors(api):
    post = PostFactory.create(
        category=CategoryFactory.create(slug="essays"),
        tags=[TagFactory.create(name="python", slug="python")],
    )

    categories = call(api, "get", "/api/v1/categories").json()
    tags = call(api, "get", "/api/v1/tags?q=pyth").json()
    authors = call(api, "get", "/api/v1/authors").json()

    assert [c["slug"] for c in categories["items"]] == ["essays"]
    assert [t["slug"] for t in tags["items"]] == ["python"]
    assert [a["username"] for a in authors["items"]] == [post.author.username]
    assert call(api, "get", "/api/v1/categories/essays").json()["slug"] == "essays"
    assert call(api, "get", "/api/v1/tags/python").json()["slug"] == "python"
    assert call(api, "get", f"/api/v1/authors/{post.author.username}").status_code == 200
    assert call(api, "get", "/api/v1/tags/nope").json()["error"]["code"] == "not_found"


def test_deactivated_authors_are_not_listed(api):
    post = PostFactory.create()
    post.author.is_active = False
    post.author.save()

    assert call(api, "get", "/api/v1/authors").json()["items"] == []
    assert call(api, "get", f"/api/v1/authors/{post.author.username}").status_code == 404
