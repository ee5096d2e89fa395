"""The suppression list by hand: staff add an address no newsletter may mail, or take it off.

Hard bounces and complaints arrive through the provider's webhooks (apps.newsletter.webhooks);
these are the staff's own moves, with reason "manual" when added.
"""

from __future__ import annotations

import structlog
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction

from apps.accounts.models import User
from apps.accounts.permissions import can
from apps.newsletter.models import Suppression, SuppressionReason, normalise_email

logger = structlog.get_logger("inkwell.newsletter")


@transaction.atomic
def add_suppression(*, actor: User, email: str, detail: str = "") -> Suppression:
    """Put an address on the suppression list by hand: no newsletter mails it from now on."""
    if not can(actor, "newsletter.manage"):
        raise PermissionDenied("Only editors and admins can change the suppression list.")
    address = normalise_email(email)
    try:
        validate_email(address)
    except ValidationError as exc:
        raise ValidationError("Enter a valid email address.", code="invalid") from exc
    suppression, created = Suppression.objects.get_or_create(
        email=address,
        defaults={"reason": SuppressionReason.MANUAL, "detail": detail[:500]},
    )
    if not created:
        raise ValidationError(
            f"{address} is already on the suppression list ({suppression.get_reason_display()}).",
            code="exists",
        )
    logger.info("newsletter suppression added", actor=actor.pk, suppression=suppression.pk)
    return suppression


@transaction.atomic
def remove_suppression(*, actor: User, suppression: Suppression) -> None:
    """Take an address off the suppression list (its subscriptions are left as they are)."""
    if not can(actor, "newsletter.manage"):
        raise PermissionDenied("Only editors and admins can change the suppression list.")
    logger.info(
        "newsletter suppression removed",
        actor=actor.pk,
        suppression=suppression.pk,
        reason=suppression.reason,
    )
    Suppression.objects.filter(pk=suppression.pk).delete()
