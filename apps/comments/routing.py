"""WebSocket routes of the comments app (project.asgi mounts them)."""

from django.urls import path

from apps.comments.consumers import PostCommentsConsumer

websocket_urlpatterns = [
    path("ws/posts/<int:post_id>/", PostCommentsConsumer.as_asgi()),
]
