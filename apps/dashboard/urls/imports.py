from django.urls import URLPattern, path

from apps.dashboard.views import imports as views

# Included into the "dashboard" namespace by apps/dashboard/urls/__init__.py.
urlpatterns: list[URLPattern] = [
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/resume/", views.import_resume, name="import_resume"),
    path("imports/<int:pk>/rollback/", views.import_rollback, name="import_rollback"),
    path("imports/<int:pk>/for-real/", views.import_for_real, name="import_for_real"),
]
