"""The API's messages come in the reader's language (Accept-Language); codes never change.

Needs the compiled catalogs (`make messages`).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from tests.api.conftest import access_for, call

pytestmark = pytest.mark.django_db

MISSING_POST = "/api/v2/posts/no-such-post"
DE = {"Accept-Language": "de"}
AR = {"Accept-Language": "ar"}


def _error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    return error


@pytest.mark.parametrize(
    ("accept", "message", "language"),
    [
        ("de", "Diesen Beitrag gibt es nicht.", "de"),
        ("de-DE,de;q=0.9,en;q=0.5", "Diesen Beitrag gibt es nicht.", "de"),
        ("ar", "المقال غير موجود.", "ar"),
        ("fr", "No such post.", "en"),
    ],
)
def test_missing_post_is_in_the_readers_language(api, accept, message, language):
    response = call(api, "get", MISSING_POST, **{"Accept-Language": accept})

    error = _error(response, 404)
    assert error == {"code": "not_found", "message": message, "fields": None}
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


def test_without_accept_language_the_message_is_english(api):
    error = _error(call(api, "get", MISSING_POST), 404)

    assert error == {"code": "not_found", "message": "No such post.", "fields": None}


def test_a_german_answer_does_not_leak_into_the_next_request(api):
    call(api, "get", MISSING_POST, **DE)

    assert _error(call(api, "get", MISSING_POST), 404)["message"] == "No such post."


def test_unknown_endpoint_message_is_translated_with_its_path(api):
    error = _error(call(api, "get", "/api/v2/nothing-here", **DE), 404)

    assert error["code"] == "not_found"
    assert error["message"] == "Unter /api/v2/nothing-here gibt es keinen API-Endpunkt."


def test_validation_envelope_is_translated_but_keeps_its_code(api):
    response = call(
        api,
        "post",
        "/api/v1/auth/token",
        body={"email": 5, "password": None},
        **AR,
    )

    error = _error(response, 422)
    assert error["code"] == "validation_error"
    assert error["message"] == "الطلب غير صالح."
    assert error["fields"] == {"email": ["أدخل نصًا."], "password": ["أدخل نصًا."]}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"password": "x"}, {"email": ["Dieses Feld ist erforderlich."]}),
        (
            {"email": "a@example.com", "password": "x", "extra": 1},
            {"extra": ["Dieses Feld ist hier nicht vorgesehen."]},
        ),
        ({"email": "a@example.com", "password": "x" * 2000}, None),  # a limit: below
    ],
)
def test_field_errors_are_in_the_readers_language(api, body, fields):
    response = call(api, "post", "/api/v1/auth/token", body=body, **DE)

    error = _error(response, 422)
    assert error["code"] == "validation_error"
    if fields is not None:
        assert error["fields"] == fields
    else:
        assert error["fields"] == {"password": ["Geben Sie höchstens 200 Zeichen ein."]}


def test_our_own_validators_speak_the_readers_language(api, editor):
    response = call(
        api,
        "get",
        "/api/v2/analytics/summary?start=2026-02-01&end=2026-01-01",
        token=access_for(editor),
        **DE,
    )

    error = _error(response, 422)
    assert error["fields"] == {"__all__": ["Der Anfang darf nicht nach dem Ende liegen."]}


def test_malformed_json_is_translated(api):
    response = call(api, "post", "/api/v1/auth/token", body='{"email": ', **DE)

    error = _error(response, 400)
    assert error["code"] == "malformed_json"
    assert error["message"] == "Der Inhalt der Anfrage ist kein gültiges JSON."


@override_settings(API_MAX_BODY_BYTES=10)
def test_refusals_made_before_the_language_middleware_are_translated(api):
    # ApiMiddleware answers 413 before LanguageMiddleware runs.
    response = call(api, "post", "/api/v1/auth/token", body={"email": "x" * 50}, **DE)

    error = _error(response, 413)
    assert error["code"] == "payload_too_large"
    assert error["message"] == "Der Inhalt der Anfrage ist größer als 10 Byte."
