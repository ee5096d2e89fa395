from django.urls import URLPattern, path

from apps.dashboard.views import newsletter as views
from apps.dashboard.views.publishing import post_email

# Included into the "dashboard" namespace by apps/dashboard/urls/__init__.py.
urlpatterns: list[URLPattern] = [
    path("newsletter/", views.campaigns, name="newsletter"),
    path("newsletter/campaigns/new/", views.campaign_new, name="newsletter_campaign_new"),
    path("newsletter/campaigns/<int:pk>/", views.campaign_edit, name="newsletter_campaign"),
    path(
        "newsletter/campaigns/<int:pk>/preview/",
        views.campaign_preview,
        name="newsletter_campaign_preview",
    ),
    path("newsletter/campaigns/<int:pk>/test/", views.campaign_test, name="newsletter_test"),
    path("newsletter/campaigns/<int:pk>/send/", views.campaign_send, name="newsletter_send"),
    path("newsletter/campaigns/<int:pk>/cancel/", views.campaign_cancel, name="newsletter_cancel"),
    path(
        "newsletter/campaigns/<int:pk>/versions/",
        views.campaign_version_create,
        name="newsletter_version_create",
    ),
    path("newsletter/campaigns/<int:pk>/results/", views.campaign_stats, name="newsletter_stats"),
    path("newsletter/growth/", views.growth, name="newsletter_growth"),
    path("newsletter/subscribers/", views.subscribers, name="newsletter_subscribers"),
    path(
        "newsletter/subscribers/import/",
        views.subscribers_import,
        name="newsletter_import",
    ),
    path(
        "newsletter/subscribers/export.csv",
        views.subscribers_export,
        name="newsletter_export",
    ),
    path("newsletter/suppressions/", views.suppressions, name="newsletter_suppressions"),
    path(
        "newsletter/suppressions/add/",
        views.suppression_add,
        name="newsletter_suppression_add",
    ),
    path(
        "newsletter/suppressions/<int:pk>/remove/",
        views.suppression_remove,
        name="newsletter_suppression_remove",
    ),
    # The post editor's "also email this post to subscribers of …".
    path("posts/<int:pk>/email/", post_email, name="post_email"),
]
