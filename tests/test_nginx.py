"""infrastructure/nginx/inkwell.conf is checked by nginx itself (`nginx -t`), as deployed."""

import pytest
import requests

from apps.core.middleware import security_headers
from tests import nginx
from tests.servers import free_port

pytestmark = pytest.mark.skipif(
    not nginx.installed(), reason="nginx is not installed (apt-get install nginx-light)"
)


def test_nginx_accepts_the_site_configuration(tmp_path):
    result = nginx.check(nginx.write_site(tmp_path))
    assert result.returncode == 0, result.stderr


def test_the_micro_cache_keys_on_what_the_page_cache_keys_on():
    site = nginx.CONF.read_text()
    # A cached copy must never cross from a signed-in reader, nor between a partial and a page.
    assert "proxy_cache_bypass $inkwell_personal;" in site
    assert "proxy_no_cache $inkwell_personal;" in site
    for header in ("hx_request", "hx_boosted", "hx_history_restore_request", "hx_target"):
        assert f"$http_{header}" in site
    assert "proxy_cache_lock on;" in site
    assert "proxy_cache $inkwell_page_cache;" in site  # only what can be shared takes the lock


@pytest.mark.parametrize("location", ["/static/", "/media/"])
def test_files_nginx_serves_itself_carry_the_app_s_security_headers(location):
    """nginx answers these without the app, so it must add what SecurityHeadersMiddleware adds."""
    site = nginx.CONF.read_text()
    block = site[site.index(f"location {location} {{") :]
    block = block[: block.index("\n    }")]
    for name, value in security_headers().items():
        assert f'add_header {name} "{value}" always;' in block or (
            f"add_header {name} {value} always;" in block
        ), f"{location} lacks {name}: {value}"


# The test's own self-signed certificate, for blog.example.com, reached as 127.0.0.1.
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_the_access_log_leaves_tokens_in_urls_out(tmp_path):
    site = nginx.write_site(
        tmp_path, wsgi=f"127.0.0.1:{free_port()}", asgi=f"127.0.0.1:{free_port()}"
    )
    secret = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2VjcmV0"
    # Nothing listens upstream: the 502s are logged like any answer.
    with nginx.running_nginx(site):
        query = f"format=json&access_token={secret}&page=2&refresh_token=r-{secret}&token=t1"
        headers = {
            "Host": "blog.example.com",
            "Referer": f"https://blog.example.com/?code={secret}",
        }
        for url in (site.plain_url, site.url):
            requests.get(
                f"{url}/ws/posts/1/?{query}",
                headers=headers,
                verify=False,  # noqa: S501
                allow_redirects=False,
                timeout=10,
            )
    log = site.access_log()
    redacted = (
        "format=json&access_token=[redacted]&page=2&refresh_token=[redacted]&token=[redacted]"
    )
    assert log.count(f"GET /ws/posts/1/?{redacted} HTTP/1.1") == 2, log
    assert log.count('"https://blog.example.com/?code=[redacted]"') == 2, log
    assert secret not in log
