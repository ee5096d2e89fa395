"""Behaviour every endpoint shares: envelope errors, bad input, limits, ETags, CORS, v1 sunset."""

from __future__ import annotations

import jwt
import pytest
from django.test import override_settings

from apps.accounts.models import RefreshToken, User
from apps.accounts.tokens import _signing_keys
from tests.api.conftest import access_for, call, pair_for
from tests.factories.blog import PostFactory
from tests.utils import inline_code

pytestmark = pytest.mark.django_db


def _error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    return error


def test_malformed_json_is_400_and_changes_nothing(api):
    response = call(api, "post", "/api/v1/auth/register", body='{"email": ')

    _error(response, 400, "malformed_json")
    assert not User.objects.exists()


def test_non_object_json_is_400(api):
    _error(call(api, "post", "/api/v1/auth/token", body="[1, 2]"), 400, "malformed_json")


def test_wrong_types_are_422_with_fields(api):
    response = call(api, "post", "/api/v1/auth/token", body={"email": 5, "password": None})

    error = _error(response, 422, "validation_error")
    assert set(error["fields"]) == {"email", "password"}


def test_unknown_fields_are_422(api, reader):
    response = call(
        api, "post", "/api/v1/auth/token", body={"email": reader.email, "password": "x", "a": 1}
    )

    assert _error(response, 422, "validation_error")["fields"] == {
        "a": ["This field is not expected here."]
    }
    assert not RefreshToken.objects.exists()


@override_settings(API_MAX_BODY_BYTES=100)
def test_oversized_body_is_413(api):
    response = call(api, "post", "/api/v1/auth/register", body={"email": "x" * 200})

    _error(response, 413, "payload_too_large")
    assert not User.objects.exists()


def test_unknown_api_path_is_enveloped_404(api):
    _error(call(api, "get", "/api/v1/nope"), 404, "not_found")
    _error(call(api, "post", "/api/v3/posts"), 404, "not_found")


def test_invalid_query_parameter_is_422(api):
    error = _error(call(api, "get", "/api/v1/posts?page=0"), 422, "validation_error")
    assert "page" in error["fields"]


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        jwt.encode({"sub": "1", "typ": "access"}, key="", algorithm="none"),
        jwt.encode({"sub": "1", "typ": "access"}, "wrong-key-wrong-key-wrong-key-32b", "HS256"),
    ],
    ids=["garbage", "alg-none", "wrong-key"],
)
def test_bad_tokens_are_401_invalid_token(api, reader, token):
    response = call(api, "get", "/api/v1/me", token=token)

    _error(response, 401, "invalid_token")
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_tampered_token_is_401(api, reader):
    other = pair_for(reader).access
    header, _payload, signature = other.split(".")
    claims = jwt.decode(other, options={"verify_signature": False})
    forged = jwt.encode({**claims, "sub": "999"}, "x" * 32, algorithm="HS256").split(".")[1]

    _error(
        call(api, "get", "/api/v1/me", token=f"{header}.{forged}.{signature}"), 401, "invalid_token"
    )


def test_expired_token_is_401_token_expired(api, reader):
    claims = jwt.decode(pair_for(reader).access, options={"verify_signature": False})
    expired = jwt.encode(
        {**claims, "iat": claims["iat"] - 3600, "exp": claims["iat"] - 1800},
        _signing_keys()[0],
        algorithm="HS256",
    )

    _error(call(api, "get", "/api/v1/me", token=expired), 401, "token_expired")


def test_bad_token_on_public_endpoint_is_401_not_anonymous(api):
    _error(call(api, "get", "/api/v1/posts", token="garbage"), 401, "invalid_token")


def test_rate_limit_headers_on_every_response(api):
    for path in ("/api/v1/posts", "/api/v1/me", "/api/v1/nope"):
        response = call(api, "get", path)
        assert response["RateLimit-Limit"] == "60"
        assert int(response["RateLimit-Remaining"]) < 60
        assert int(response["RateLimit-Reset"]) >= 0


@override_settings(API_RATE_LIMIT_ANON=2)
def test_anonymous_rate_limit_is_per_ip(api):
    responses = [call(api, "get", "/api/v1/posts") for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    _error(responses[2], 429, "rate_limited")
    assert int(responses[2]["Retry-After"]) >= 1
    assert responses[2]["RateLimit-Remaining"] == "0"
    other_ip = api.get("/api/v1/posts", REMOTE_ADDR="10.9.8.7")
    assert other_ip.status_code == 200


# A window far longer than the test, so its four calls never straddle a window's end (the
# windows are aligned to the epoch: with 60 s, a slow run could cross one and start over).
@override_settings(
    API_RATE_LIMIT_ANON=1, API_RATE_LIMIT_USER=3, API_RATE_LIMIT_WINDOW=1_000_000_000
)
def test_user_rate_limit_is_per_user_not_per_ip(api, reader):
    token = access_for(reader)
    call(api, "get", "/api/v1/posts")  # the address's budget is now spent

    responses = [call(api, "get", "/api/v1/me", token=token) for _ in range(4)]

    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[0]["RateLimit-Limit"] == "3"


def test_etag_and_if_none_match(api):
    PostFactory.create()
    first = call(api, "get", "/api/v1/posts")
    etag = first["ETag"]

    again = call(api, "get", "/api/v1/posts", **{"If-None-Match": etag})
    PostFactory.create()
    changed = call(api, "get", "/api/v1/posts", **{"If-None-Match": etag})

    assert etag.startswith('W/"')
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "RateLimit-Remaining" in again
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_no_etag_on_errors_or_writes(api):
    assert "ETag" not in call(api, "get", "/api/v1/me")
    assert "ETag" not in call(api, "post", "/api/v1/auth/token", body={})


def test_v1_announces_its_sunset_and_v2_does_not(api):
    v1 = call(api, "get", "/api/v1/posts")
    v2 = call(api, "get", "/api/v2/posts")

    assert v1["Deprecation"].startswith("@")
    assert v1["Sunset"].endswith("GMT")
    assert v1["Link"] == '</api/v2/>; rel="successor-version"'
    assert "Deprecation" not in v2


@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"])
def test_cors_for_configured_origins_only(api):
    allowed = api.get("/api/v2/posts", headers={"Origin": "https://app.example.com"})
    other = api.get("/api/v2/posts", headers={"Origin": "https://evil.example.com"})
    page = api.get("/", headers={"Origin": "https://app.example.com"})
    preflight = api.options(
        "/api/v2/me",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )

    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "RateLimit-Remaining" in allowed["Access-Control-Expose-Headers"]
    assert "ETag" in allowed["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in other
    assert "Access-Control-Allow-Origin" not in page
    assert preflight.status_code == 200
    assert "authorization" in preflight["Access-Control-Allow-Headers"]


def test_api_ignores_session_cookies(api, reader):
    api.force_login(reader)

    _error(call(api, "get", "/api/v1/me"), 401, "not_authenticated")


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_docs_are_served_from_static_files_without_inline_code(api, version):
    response = api.get(f"/api/{version}/docs")

    html = response.content.decode()
    assert response.status_code == 200
    assert inline_code(html) == []
    assert "cdn" not in html.lower()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/static/api/swagger-init.js" in html
    assert f'data-openapi-url="/api/{version}/openapi.json"' in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert api.get("/static/api/swagger-init.js").status_code == 200


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_openapi_and_index(api, version):
    schema = api.get(f"/api/{version}/openapi.json").json()
    index = api.get(f"/api/{version}/").json()

    assert schema["info"]["version"] == version[1:]
    assert index["openapi"] == f"/api/{version}/openapi.json"
