from django.urls import path

from apps.dashboard.views import exports

urlpatterns = [
    path("export/", exports.export_page, name="exports"),
    path("export/site.zip", exports.export_site, name="export_site"),
    path("export/wordpress.xml", exports.export_wxr, name="export_wxr"),
]
