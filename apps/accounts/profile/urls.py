"""Included at /accounts/ in the "accounts" namespace (beside allauth's pages)."""

from django.urls import path

from apps.accounts.profile import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/others/sign-out/", views.sessions_revoke_others, name="sessions_revoke_others"),
    path("sessions/<str:public_id>/sign-out/", views.session_revoke, name="session_revoke"),
    path("delete/", views.delete, name="delete"),
    path("follow/<str:username>/", views.follow, name="follow"),
    path("unfollow/<str:username>/", views.unfollow, name="unfollow"),
]
