"""Background work for webhooks: the fan-out and the per-delivery send.

Defined in `apps.webhooks.services.delivery`, beside the attempt they run, and re-exported
here so the worker finds them under this app's tasks module.
"""

from apps.webhooks.services.delivery import dispatch_deliveries, send_delivery

__all__ = ["dispatch_deliveries", "send_delivery"]
