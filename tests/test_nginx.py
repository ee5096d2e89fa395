"""infrastructure/nginx/inkwell.conf is checked by nginx itself (`nginx -t`), as deployed."""

import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.servers import free_port

CONF = Path(__file__).resolve().parent.parent / "infrastructure" / "nginx" / "inkwell.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists(), reason="nginx is not installed (apt-get install nginx-light)"
)


def _deployable(tmp_path: Path) -> Path:
    """The site file inside an http block, its machine paths moved under tmp_path."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=blog.example.com", "-keyout", str(tmp_path / "privkey.pem"),
         "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = CONF.read_text()
    for deployed, here in {
        "/etc/ssl/inkwell/": f"{tmp_path}/",
        "/var/cache/nginx/inkwell": f"{tmp_path}/cache",
        "/var/log/nginx/": f"{tmp_path}/",
    }.items():
        site = site.replace(deployed, here)
    (tmp_path / "inkwell.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  include {tmp_path}/inkwell.conf;\n}}\n"
    )
    return main


def test_nginx_accepts_the_site_configuration(tmp_path):
    main = _deployable(tmp_path)
    result = subprocess.run(
        [NGINX, "-t", "-q", "-p", str(tmp_path), "-c", str(main)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_micro_cache_keys_on_what_the_page_cache_keys_on():
    site = CONF.read_text()
    # A cached copy must never cross from a signed-in reader, nor between a partial and a page.
    assert "proxy_cache_bypass $inkwell_personal;" in site
    assert "proxy_no_cache $inkwell_personal;" in site
    for header in ("hx_request", "hx_boosted", "hx_history_restore_request", "hx_target"):
        assert f"$http_{header}" in site
    assert "proxy_cache_lock on;" in site


# The test's own self-signed certificate, for blog.example.com, reached as 127.0.0.1.
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_the_access_log_leaves_tokens_in_urls_out(tmp_path):
    main = _deployable(tmp_path)
    plain, tls, upstream = free_port(), free_port(), free_port()  # nothing listens upstream
    site = (tmp_path / "inkwell.conf").read_text()
    for deployed, here in {
        "listen 80;": f"listen 127.0.0.1:{plain};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{tls} ssl http2;",
        "listen [::]:80;": "",
        "listen [::]:443 ssl http2;": "",
        "127.0.0.1:8001": f"127.0.0.1:{upstream}",
        "127.0.0.1:8002": f"127.0.0.1:{upstream}",
    }.items():
        site = site.replace(deployed, here)
    (tmp_path / "inkwell.conf").write_text(site)
    temp = "".join(
        f"  {kind}_temp_path {tmp_path}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(main.read_text().replace("http {\n", f"http {{\n{temp}"))
    secret = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2VjcmV0"
    nginx = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(main), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(f"http://127.0.0.1:{plain}/", timeout=1, allow_redirects=False)
                break
            except requests.ConnectionError:
                assert nginx.poll() is None, nginx.stderr.read() if nginx.stderr else ""
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        query = f"format=json&access_token={secret}&page=2&refresh_token=r-{secret}&token=t1"
        headers = {
            "Host": "blog.example.com",
            "Referer": f"https://blog.example.com/?code={secret}",
        }
        for url in (f"http://127.0.0.1:{plain}", f"https://127.0.0.1:{tls}"):
            requests.get(
                f"{url}/ws/posts/1/?{query}",
                headers=headers,
                verify=False,  # noqa: S501
                allow_redirects=False,
                timeout=10,
            )
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    log = (tmp_path / "inkwell.access.log").read_text()
    redacted = (
        "format=json&access_token=[redacted]&page=2&refresh_token=[redacted]&token=[redacted]"
    )
    assert log.count(f"GET /ws/posts/1/?{redacted} HTTP/1.1") == 2, log
    assert log.count('"https://blog.example.com/?code=[redacted]"') == 2, log
    assert secret not in log
