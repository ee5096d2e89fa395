from django.urls import path

from apps.comments import views

app_name = "comments"

urlpatterns = [
    path("posts/<int:post_id>/", views.create, name="create"),
    path("posts/<int:post_id>/threads/", views.threads, name="threads"),
    path("<int:comment_id>/replies/", views.replies, name="replies"),
    path("<int:comment_id>/actions/", views.actions, name="actions"),
    path("<int:comment_id>/edit/", views.edit, name="edit"),
    path("<int:comment_id>/delete/", views.delete, name="delete"),
    path("<int:comment_id>/report/", views.report, name="report"),
]
