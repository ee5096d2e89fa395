import re

import pytest

from tests.factories.accounts import UserFactory
from tests.factories.blog import PostFactory
from tests.utils import html_elements, inline_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages():
    post = PostFactory.create(body="## Hello\n\n<script>alert(1)</script> <b onclick='x()'>hi</b>")
    assert post.category is not None
    return ["/", post.get_absolute_url(), post.category.get_absolute_url(), "/no-such-page/"]


def test_every_page_sends_a_strict_content_security_policy(client, pages):
    for url in pages:
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy


def test_pages_contain_no_inline_script_style_or_handlers(client, pages):
    for url in pages:
        html = client.get(url).content.decode()
        assert inline_code(html) == [], url
        for tag, attrs in html_elements(html):
            assert tag != "style", url
            if tag == "script" and dict(attrs).get("type") != "application/ld+json":
                assert dict(attrs).get("src"), url
            for name, _ in attrs:
                assert name != "style", (url, tag)
                assert not name.startswith("on"), (url, tag, name)


def test_htmx_requests_of_signed_in_readers_carry_the_csrf_token(client, pages):
    client.force_login(UserFactory.create())
    html = client.get("/").content.decode()
    assert re.search(r"hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]{32,}\"\}'", html)


def test_anonymous_pages_carry_no_csrf_token_because_readers_share_them(client, pages):
    # The page cache serves one copy to every anonymous reader; none of them posts from it.
    html = client.get("/").content.decode()
    assert "X-CSRFToken" not in html


def test_htmx_is_served_from_our_static_files_not_a_cdn(client):
    html = client.get("/").content.decode()
    sources = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert any("htmx-2" in src for src in sources)
    assert any("hx-ws-2" in src for src in sources)
    # The one script not under /static/ is ours too: the interface's strings in the page's
    # language (django.views.i18n.JavaScriptCatalog).
    assert all(src.startswith("/static/") or src == "/jsi18n/" for src in sources)


DENIED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb", "interest-cohort"]


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/no-such-page/",
        "/search/?q=%00",  # refused early, by RejectNulMiddleware
        "/static/favicon.svg",  # served by whitenoise
        "/api/v2/posts",
        "/api/v2/nope",
        "/healthz",
        "/feed/",
    ],
)
def test_every_response_denies_browser_features_and_cross_origin_embedding(client, url):
    response = client.get(url)

    policy = response["Permissions-Policy"]
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in policy, (url, feature)
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_the_new_headers_leave_the_pages_csp_intact(client):
    response = client.get("/")

    assert "Permissions-Policy" in response
    assert "default-src 'self'" in response["Content-Security-Policy"]
