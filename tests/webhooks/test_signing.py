import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from apps.webhooks.services.delivery import body_bytes
from apps.webhooks.signing import generate_secret, new_message_id, signed_headers


def test_secrets_are_whsec_and_32_random_bytes():
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert generate_secret() != secret


def test_message_ids_are_unique_msg_ids():
    ids = {new_message_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("msg_") and len(i) <= 40 for i in ids)


def test_signed_headers_verify_with_standardwebhooks_and_plain_hmac():
    secret = generate_secret()
    body = body_bytes({"type": "post.published", "data": {"title": "Ünïcode ✓"}})
    now = datetime.now(UTC)
    headers = signed_headers(secret=secret, message_id="msg_1", when=now, body=body)
    assert Webhook(secret).verify(body, headers)["data"]["title"] == "Ünïcode ✓"
    # The same check by hand, as docs/api/webhooks.md shows it.
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"msg_1.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"


def test_an_old_timestamp_is_refused_by_receivers():
    secret = generate_secret()
    body = b"{}"
    old = datetime.now(UTC) - timedelta(minutes=10)
    headers = signed_headers(secret=secret, message_id="msg_2", when=old, body=body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)
