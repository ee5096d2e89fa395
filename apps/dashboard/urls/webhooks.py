from django.urls import URLPattern, path

from apps.dashboard.views import webhooks as views

# Included into the "dashboard" namespace by apps/dashboard/urls/__init__.py.
urlpatterns: list[URLPattern] = [
    path("webhooks/", views.endpoints, name="webhooks"),
    path("webhooks/new/", views.endpoint_new, name="webhook_new"),
    path("webhooks/<int:pk>/", views.endpoint_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/edit/", views.endpoint_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/delete/", views.endpoint_delete, name="webhook_delete"),
    path("webhooks/<int:pk>/secret/", views.endpoint_secret, name="webhook_secret"),
    path("webhooks/<int:pk>/rotate/", views.endpoint_rotate, name="webhook_rotate"),
    path("webhooks/<int:pk>/test/", views.endpoint_test, name="webhook_test"),
    path("webhooks/<int:pk>/enable/", views.endpoint_enable, name="webhook_enable"),
    path("webhooks/<int:pk>/disable/", views.endpoint_disable, name="webhook_disable"),
    path(
        "webhooks/deliveries/<int:pk>/redeliver/",
        views.delivery_redeliver,
        name="webhook_redeliver",
    ),
]
