from django.urls import include, path

app_name = "accounts"

urlpatterns = [
    path("security/", include("apps.accounts.mfa.urls")),
    path("", include("apps.accounts.profile.urls")),
]
