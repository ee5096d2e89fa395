from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path, re_path
from django.views.decorators.cache import cache_control
from django.views.i18n import JavaScriptCatalog

from apps.api import views as api_views
from apps.api.v1 import api as api_v1
from apps.api.v2 import api as api_v2
from apps.blog import languages
from apps.blog.sitemaps import SITEMAPS
from apps.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("robots.txt", core_views.robots_txt, name="robots_txt"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("accounts/data/", include("apps.transfer.personal_urls")),  # "Download your data"
    path("dashboard/", include("apps.dashboard.urls")),
    path("api/v1/", api_v1.urls),
    path("api/v2/", api_v2.urls),
    re_path(r"^api/", api_views.not_found),  # unknown API paths: the JSON envelope, not HTML
    path("comments/", include("apps.comments.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("newsletter/", include("apps.newsletter.urls")),
    path("a/", include("apps.analytics.urls")),  # the analytics beacon (POST /a/e)
    # django-prometheus's view, behind METRICS_ALLOWED_NETWORKS and METRICS_TOKEN.
    path("metrics", core_views.metrics, name="prometheus-django-metrics"),
    # Every language's pages with their alternates, once (not under each language's prefix).
    # Not page-cached: it lists every post, category, tag and author, so nearly any change
    # would drop it; cachalot caches its queries.
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    # The language switcher: remembers the reader's choice, then goes to the page's version.
    path("language/<str:code>/", languages.choose, name="choose_language"),
]
# Public pages carry their language: /de/posts/…; the default language's unprefixed unless
# PREFIX_DEFAULT_LANGUAGE (apps.core.languages.LanguageMiddleware reads it from the path).
urlpatterns += i18n_patterns(
    # The interface's JavaScript strings in the page's language (static/js/*.js call
    # gettext(); locale/*/LC_MESSAGES/djangojs.po). Kept an hour by browsers.
    path(
        "jsi18n/",
        cache_control(public=True, max_age=3600)(JavaScriptCatalog.as_view()),
        name="javascript-catalog",
    ),
    path("", include("apps.blog.urls")),
    prefix_default_language=settings.PREFIX_DEFAULT_LANGUAGE,
)

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Each picks the JSON error envelope under /api/ and the site's page elsewhere.
handler400 = "apps.core.errors.bad_request"
handler403 = "apps.core.errors.permission_denied"
handler404 = "apps.core.errors.page_not_found"
handler500 = "apps.core.errors.server_error"
