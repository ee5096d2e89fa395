"""infrastructure/nginx/inkwell.conf is checked by nginx itself (`nginx -t`), as deployed."""

import shutil
import subprocess
from pathlib import Path

import pytest

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
