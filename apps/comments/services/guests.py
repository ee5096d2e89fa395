"""Guest comments (imported from another platform) handed over to their writer's account."""

from __future__ import annotations

from django.db import transaction

from apps.accounts.models import User
from apps.blog.pages import comments_tag
from apps.comments.models import Comment
from apps.core.pagecache import invalidate


@transaction.atomic
def claim_guest_comments(*, user: User, email: str) -> int:
    """Make the guest comments written with `email` the user's; the address is then cleared.

    Call only for an address the user has proved is theirs (a confirmed address): the
    comments take the account's name from then on.
    """
    email = (email or "").strip().lower()
    if not email or not user.pk:
        return 0
    comments = Comment.objects.filter(author__isnull=True, guest_email=email)
    post_ids = set(comments.values_list("post_id", flat=True))
    claimed = comments.update(author=user, guest_email="")
    if claimed:
        invalidate(*(comments_tag(pk) for pk in post_ids))
    return claimed
