"""Background work for newsletters, defined beside the services they run (campaigns.py).

Re-exported here so the worker finds them under this app's tasks module.
"""

from apps.newsletter.campaigns import (
    send_campaign_task,
    send_due_campaigns_task,
    start_waiting_campaign_task,
)

__all__ = ["send_campaign_task", "send_due_campaigns_task", "start_waiting_campaign_task"]
