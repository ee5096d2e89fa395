from django.urls import include, path

from apps.newsletter import tracking, views

app_name = "newsletter"

urlpatterns = [
    path("", views.newsletter_page, name="page"),
    path("subscribe/", views.subscribe, name="subscribe"),
    # The CSRF field a sign-up box on a cached page fetches (htmx) before it posts.
    path("token/", views.csrf_field, name="token"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    # GET: a page with one button; POST: RFC 8058 one-click (List-Unsubscribe-Post).
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # Only when NEWSLETTER_TRACKING is on; signed links, never an open redirect.
    path("c/", tracking.click, name="click"),
    path("o/<str:token>.gif", tracking.open_pixel, name="open"),
    # django-anymail's signed tracking webhooks (bounces, complaints), per provider:
    # /newsletter/anymail/<esp>/tracking/ (apps.newsletter.webhooks receives the events).
    path("anymail/", include("anymail.urls")),
]
