from django.urls import URLPattern, path

from apps.dashboard.views import moderation as views

# Included into the "dashboard" namespace by apps/dashboard/urls.py.
urlpatterns: list[URLPattern] = [
    path("moderation/", views.moderation, name="moderation"),
    path("moderation/bulk/", views.moderation_bulk, name="moderation_bulk"),
    path(
        "moderation/comments/<int:pk>/<slug:action>/",
        views.moderation_act,
        name="moderation_act",
    ),
    path("moderation/settings/", views.moderation_settings_page, name="moderation_settings"),
    path("moderation/posts/", views.moderation_posts, name="moderation_posts"),
    path(
        "moderation/posts/<int:pk>/comments/",
        views.moderation_post_comments,
        name="moderation_post_comments",
    ),
]
