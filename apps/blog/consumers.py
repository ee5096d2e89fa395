"""The live route of a post page: authenticate, authorise, join the post's group, relay."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.template.loader import render_to_string

from apps.blog import broadcasts, selectors


def _can_read_post(post_id: int) -> bool:
    return selectors.published_posts().filter(pk=post_id).exists()


class PostLiveConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """Joins `comments.post.<id>`; tells the page it is live once connected."""

    group: str | None = None

    async def connect(self) -> None:
        post_id = int(self.scope["url_route"]["kwargs"]["post_id"])
        if not await database_sync_to_async(_can_read_post)(post_id):
            await self.close(code=4404)
            return
        self.wants_json = b"format=json" in self.scope.get("query_string", b"")
        self.group = broadcasts.post_group(post_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        if self.wants_json:
            await self.send_json({"type": "live.connected", "post": post_id})
        else:
            await self.send(text_data=render_to_string("blog/_live_status.html", {"live": True}))

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        # Writes arrive over HTTP and go through services; this socket only listens.
        # Anything sent here, well-formed or not, gets the same clear refusal.
        await self.send_json(
            {
                "type": "error",
                "code": "read_only",
                "message": "This socket only delivers updates; send changes over HTTP.",
            }
        )
