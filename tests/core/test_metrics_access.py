"""/metrics is protected by the app itself: an allowed network, and a bearer token if set."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

pytestmark = pytest.mark.django_db


def test_metrics_answer_loopback_and_private_networks(client):
    for address in ["127.0.0.1", "10.1.2.3", "192.168.0.9", "::1"]:
        response = client.get("/metrics", REMOTE_ADDR=address)
        assert response.status_code == 200, address
        assert b"django_http_requests" in response.content


def test_metrics_refuse_a_public_address(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 403
    assert b"django_http" not in response.content


def test_metrics_follow_the_allowed_networks_setting(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["203.0.113.0/24"]

    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_a_forwarded_for_header_is_not_trusted_unless_configured(client, settings):
    settings.USE_X_FORWARDED_FOR = False
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403


def test_metrics_with_a_token_need_the_bearer_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"

    missing = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})

    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert b"django_http" not in missing.content + wrong.content


def test_the_token_does_not_open_metrics_to_other_networks(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    response = client.get(
        "/metrics",
        REMOTE_ADDR="203.0.113.7",
        headers={"Authorization": "Bearer s3cret-scrape-token"},
    )

    assert response.status_code == 403


def _ids() -> set[str]:
    return {str(message.id) for message in run_checks(include_deployment_checks=True)}


def test_production_without_a_metrics_token_warns_w003(settings):
    settings.IS_PRODUCTION = True
    settings.METRICS_TOKEN = ""

    assert "inkwell.W003" in _ids()


def test_production_with_a_metrics_token_does_not_warn(settings):
    settings.IS_PRODUCTION = True
    settings.METRICS_TOKEN = "s3cret-scrape-token"

    assert "inkwell.W003" not in _ids()
