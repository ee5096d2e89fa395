"""The OpenAPI documents say what the server accepts (issue 12): the schema and the server agree."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import call
from tests.factories.blog import PostFactory


def _param(schema, path, name):
    [param] = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
    return param["schema"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("title,url", True),
        (" title , url ", True),
        ("", True),
        ("title,,url", False),
        ("title,password", False),
        ("0", False),
    ],
)
def test_fields_pattern_in_the_schema_matches_what_the_server_accepts(api, value, accepted):
    PostFactory.create(slug="hello")
    schema = api.get("/api/v2/openapi.json").json()
    pattern = _param(schema, "/api/v2/posts", "fields")["pattern"]

    response = api.get("/api/v2/posts", {"fields": value})

    assert bool(re.search(pattern, value)) is accepted
    assert (response.status_code == 200) is accepted, response.content[:200]


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_required_text_inputs_refuse_empty_strings_in_schema_and_server(api, version):
    schema = api.get(f"/api/{version}/openapi.json").json()
    components = schema["components"]["schemas"]

    for name, fields in {
        "RegisterIn": ["email", "username", "password"],
        "TokenIn": ["email", "password"],
        "RefreshIn": ["refresh_token"],
    }.items():
        for field in fields:
            assert components[name]["properties"][field]["minLength"] == 1, (name, field)
    response = call(api, "post", f"/api/{version}/auth/token", body={"email": "", "password": ""})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"email", "password"}
