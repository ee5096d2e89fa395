"""allauth's account signals, as they concern comments (accounts sits below comments).

Imported guest comments become a person's own once they prove the address they were
written with: at sign-up when the address is already verified (a social login), else
when they confirm it. Never on an unconfirmed address: anyone can type one.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress

from apps.accounts.models import User
from apps.comments.services.guests import claim_guest_comments


def signed_up(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    for address in EmailAddress.objects.filter(user=user, verified=True):
        claim_guest_comments(user=user, email=address.email)


def email_confirmed(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    claim_guest_comments(user=email_address.user, email=email_address.email)
