"""Signal receivers: the newsletter's part of deleting an account, and of toggling its switch.

Why signals here (style.md keeps them for cache invalidation and hooks): accounts sit below
newsletter in the import layers (.importlinter), so `apps.accounts.profile.services` cannot
call the newsletter's erasure when it deletes a User. `pre_delete` on the User is the seam:
it runs inside the deletion's transaction, before `Subscriber.user` is nulled (SET_NULL), so
the account's subscriber can still be found, and a failure rolls the whole deletion back.
"""

from __future__ import annotations

from typing import Any

from waffle.models import Switch

from apps.accounts.models import User
from apps.core import pagecache
from apps.newsletter import subscribers
from apps.newsletter.templatetags.newsletter_tags import SIGNUP_SWITCH


def erase_account_subscriber(sender: type[User], instance: User, **kwargs: Any) -> None:
    """An account being deleted takes its newsletter data with it (subscriber, consents…)."""
    subscribers.erase_for_account(instance)


def signup_switch_changed(sender: type[Switch], instance: Switch, **kwargs: Any) -> None:
    """The sign-up box is on every cached post and the home page: render them again."""
    if instance.name == SIGNUP_SWITCH:
        pagecache.invalidate(pagecache.SITE)
