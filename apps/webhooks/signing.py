"""Secrets, message ids and signatures, the Standard Webhooks way.

Signing is done by the reference library (`standardwebhooks`), so what receivers verify
with any Standard Webhooks library is exactly what we compute: `v1,` + base64 of
HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>").
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime

SECRET_PREFIX = "whsec_"  # noqa: S105  # the format's prefix, not a secret
SECRET_BYTES = 32


def generate_secret() -> str:
    """A new signing secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    """A unique `webhook-id`: the receiver's idempotency key, kept across retries."""
    return f"msg_{uuid.uuid4().hex}"


def signed_headers(*, secret: str, message_id: str, when: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for `body` sent at `when`."""
    # Loaded by the task worker that sends, not by every page worker that emits.
    from standardwebhooks.webhooks import Webhook

    signature = Webhook(secret).sign(msg_id=message_id, timestamp=when, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }
