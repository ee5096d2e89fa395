from django.urls import path

from apps.blog.consumers import PostLiveConsumer

websocket_urlpatterns = [
    path("ws/posts/<int:post_id>/", PostLiveConsumer.as_asgi()),
]
