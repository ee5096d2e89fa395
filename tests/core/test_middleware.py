import pytest

pytestmark = pytest.mark.django_db


def test_request_id_is_generated_and_returned(client):
    response = client.get("/healthz")
    assert len(response["X-Request-ID"]) == 32


def test_request_id_from_the_proxy_is_kept_when_well_formed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-1234abcd"})
    assert response["X-Request-ID"] == "edge-1234abcd"


def test_request_id_from_the_proxy_is_replaced_when_malformed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.asyncio
async def test_request_id_is_set_under_asgi(async_client):
    response = await async_client.get("/healthz")
    assert response.status_code == 200
    assert len(response["X-Request-ID"]) == 32
