from django.urls import path

from apps.dashboard import views

# Included into the "dashboard" namespace by apps/dashboard/urls/__init__.py.
urlpatterns = [
    path("posts/new/", views.post_new, name="post_new"),
    path("posts/new/autosave/", views.post_autosave_new, name="post_autosave_new"),
    path("posts/new/images/", views.post_image_upload, name="post_image_new"),
    path("posts/preview/", views.post_preview, name="post_preview"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/autosave/", views.post_autosave, name="post_autosave"),
    path("posts/<int:pk>/images/", views.post_image_upload, name="post_image"),
    path(
        "posts/<int:pk>/move/<slug:move>/",
        views.post_move,
        name="post_move",
    ),
    path("posts/<int:pk>/schedule/", views.post_schedule, name="post_schedule"),
    path("posts/<int:pk>/send-back/", views.post_send_back, name="post_send_back"),
    path("posts/<int:pk>/unpublish-time/", views.post_unpublish_time, name="post_unpublish_time"),
    path("posts/<int:pk>/preview-links/", views.preview_link_create, name="preview_link_create"),
    path(
        "posts/<int:pk>/preview-links/<int:link_pk>/revoke/",
        views.preview_link_revoke,
        name="preview_link_revoke",
    ),
]
