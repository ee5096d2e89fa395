"""Background work for posts: the publish and unpublish tasks.

They are defined in `apps.blog.services.schedule`, beside the moves they run, and
re-exported here so the worker finds them under this app's tasks module and tasks
queued before that move still resolve.
"""

from apps.blog.services.schedule import (
    enqueue_publication,
    enqueue_unpublication,
    publish_scheduled_post,
    unpublish_scheduled_post,
)

__all__ = [
    "enqueue_publication",
    "enqueue_unpublication",
    "publish_scheduled_post",
    "unpublish_scheduled_post",
]
