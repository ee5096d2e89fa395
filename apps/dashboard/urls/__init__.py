from django.urls import include, path

from apps.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    # Posts table, revisions, categories and tags; the post editor.
    path("", include("apps.dashboard.urls.posts")),
    path("", include("apps.dashboard.urls.editor")),
    path("", include("apps.dashboard.urls.moderation")),  # comment moderation (issue 5)
    path("", include("apps.dashboard.urls.newsletter")),  # campaigns, subscribers (issue 13)
    path("", include("apps.dashboard.urls.analytics")),  # readership figures (issue 14)
    path("", include("apps.dashboard.urls.webhooks")),  # webhook endpoints (issue 16)
    path("", include("apps.dashboard.urls.imports")),  # WordPress and Ghost imports (issue 16)
    path("users/", views.users, name="users"),
    path("users/<int:pk>/row/", views.user_row, name="user_row"),
    path("users/<int:pk>/role/", views.user_role, name="user_role"),
    path("users/<int:pk>/languages/", views.user_languages, name="user_languages"),
    path(
        "users/<int:pk>/deactivate/",
        views.user_set_active,
        {"active": False},
        name="user_deactivate",
    ),
    path(
        "users/<int:pk>/reactivate/",
        views.user_set_active,
        {"active": True},
        name="user_reactivate",
    ),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("lockouts/", views.lockouts, name="lockouts"),
    path("lockouts/unlock/", views.lockout_clear, name="lockout_clear"),
    path("", include("apps.dashboard.urls.exports")),  # site, migration bundle, WXR (issue 16)
]
