from django.urls import URLPattern, path

from apps.dashboard.views import analytics as views

# Included into the "dashboard" namespace by apps/dashboard/urls/__init__.py.
urlpatterns: list[URLPattern] = [
    path("analytics/", views.analytics, name="analytics"),
    path("analytics/live/", views.analytics_live, name="analytics_live"),
    path("analytics/export.csv", views.analytics_export, name="analytics_export"),
]
