"""The shared "Former author" account that keeps a deleted account's posts.

Blog's `Post.author` points here with `on_delete=SET(former_author)`, so deleting a
user (from the profile page or the admin) keeps their writing online under this
inactive account, and accounts need not know that posts exist.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User

FORMER_AUTHOR_USERNAME = "former-author"
FORMER_AUTHOR_EMAIL = "former-author@example.invalid"  # .invalid can never receive mail
FORMER_AUTHOR_NAME = "Former author"


def former_author() -> User:
    """The shared inactive account that keeps deleted accounts' posts (created on first use)."""
    placeholder = User.objects.filter(username=FORMER_AUTHOR_USERNAME).first()
    if placeholder is None:
        try:
            with transaction.atomic():
                placeholder = User.objects.create_user(
                    FORMER_AUTHOR_EMAIL,
                    None,  # an unusable password: nobody signs in as the former author
                    username=FORMER_AUTHOR_USERNAME,
                    display_name=FORMER_AUTHOR_NAME,
                    is_active=False,
                )
        except IntegrityError:  # created by a concurrent deletion
            placeholder = User.objects.get(username=FORMER_AUTHOR_USERNAME)
    if placeholder.email != FORMER_AUTHOR_EMAIL or placeholder.is_active:
        raise ValidationError(
            _(
                "Accounts cannot be deleted right now: the username “%(name)s” belongs to "
                "a real account. Please tell the site’s team."
            )
            % {"name": FORMER_AUTHOR_USERNAME}
        )
    return placeholder
