"""Included at /accounts/data/ (the reader's own data download)."""

from django.urls import path

from apps.transfer import personal_views

app_name = "personal_data"

urlpatterns = [
    path("", personal_views.personal_data, name="page"),
    path("download/", personal_views.personal_data_download, name="download"),
]
