from django.urls import path

from apps.comments import views

app_name = "comments"

urlpatterns = [
    # One route, two names: POST posts a comment, GET ?after=<id> catches up.
    path("posts/<int:post_id>/", views.post_comments, name="create"),
    path("posts/<int:post_id>/", views.post_comments, name="since"),
    path("<int:comment_id>/actions/", views.actions, name="actions"),
    path("<int:comment_id>/edit/", views.edit, name="edit"),
    path("<int:comment_id>/delete/", views.delete, name="delete"),
    path("<int:comment_id>/report/", views.report, name="report"),
]
