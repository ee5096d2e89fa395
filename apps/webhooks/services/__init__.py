"""Every write about webhooks: endpoints, emitting events, and sending deliveries."""

from apps.webhooks.services.delivery import (
    attempt_delivery,
    deliver_due,
    dispatch_deliveries,
    prune_deliveries,
    retry_delay,
    send_delivery,
)
from apps.webhooks.services.emission import emit, fan_out, redeliver, send_test_event
from apps.webhooks.services.endpoints import (
    clean_events,
    create_endpoint,
    delete_endpoint,
    disable_endpoint,
    enable_endpoint,
    rotate_secret,
    update_endpoint,
)

__all__ = [
    "attempt_delivery",
    "clean_events",
    "create_endpoint",
    "delete_endpoint",
    "deliver_due",
    "disable_endpoint",
    "dispatch_deliveries",
    "emit",
    "enable_endpoint",
    "fan_out",
    "prune_deliveries",
    "redeliver",
    "retry_delay",
    "rotate_secret",
    "send_delivery",
    "send_test_event",
    "update_endpoint",
]
