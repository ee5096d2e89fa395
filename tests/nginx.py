"""Run infrastructure/nginx/inkwell.conf as deployed, by a user without root, in tmp_path.

The production file is rewritten only where it names the machine: the certificate, the
cache, log and temporary directories move under tmp_path, the listeners move to free ports
on 127.0.0.1, and the upstreams point at the servers a test started. Every directive that
decides behaviour (the micro-cache, buffering, timeouts) is tested as written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port

CONF = Path(__file__).resolve().parent.parent / "infrastructure" / "nginx" / "inkwell.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HOST = "blog.example.com"  # the server_name in the file
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def installed() -> bool:
    return Path(NGINX).exists()


@dataclass
class Site:
    """The rewritten configuration: `main` is what `nginx -c` takes."""

    root: Path
    main: Path
    plain_port: int
    tls_port: int

    @property
    def url(self) -> str:
        """The HTTPS server, the one that proxies (port 80 only redirects)."""
        return f"https://127.0.0.1:{self.tls_port}"

    @property
    def plain_url(self) -> str:
        return f"http://127.0.0.1:{self.plain_port}"

    def access_log(self) -> str:
        path = self.root / "inkwell.access.log"
        return path.read_text() if path.exists() else ""

    def log_entries(self, path: str) -> list[dict[str, str]]:
        """The access log's lines for requests of `path` (query included), as key=value pairs."""
        entries = []
        for line in self.access_log().splitlines():
            request = line.split('"')[1]  # "GET /path HTTP/1.1"
            if request.split(" ")[1] != path:
                continue
            fields = line.rsplit('"', 1)[1].split()
            entry = dict(f.split("=", 1) for f in fields if "=" in f)
            entry["status"] = line.split('"')[2].split()[0]
            entries.append(entry)
        return entries

    def settled_entries(self, path: str, count: int, timeout: float = 5) -> list[dict[str, str]]:
        """The log lines of `path` once there are `count` of them: nginx logs a request
        just after its answer is sent, so the client can be a moment ahead of the log."""
        deadline = time.monotonic() + timeout
        while len(entries := self.log_entries(path)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return entries

    def waits(self, path: str, count: int = 0) -> list[float]:
        """Seconds each request of `path` spent in nginx beyond waiting for the application."""
        return [
            float(e["request_time"]) - sum(
                float(t) for t in e["upstream_time"].replace(":", ",").split(",")
                if t.strip() not in {"", "-"}
            )
            for e in self.settled_entries(path, count)
        ]  # fmt: skip

    def error_log(self) -> str:
        return "".join(
            path.read_text() for path in (self.root / "inkwell.error.log", self.root / "error.log")
            if path.exists()
        )  # fmt: skip


def write_site(
    tmp_path: Path,
    *,
    wsgi: str = "127.0.0.1:8001",
    asgi: str = "127.0.0.1:8002",
    conf: Path = CONF,
) -> Site:
    """The site file (`conf`, the repository's by default) inside an http block, its
    machine paths moved under tmp_path."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={HOST}", "-keyout", str(tmp_path / "privkey.pem"),
         "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    plain, tls = free_port(), free_port()
    site = conf.read_text()
    for deployed, here in {
        "/etc/ssl/inkwell/": f"{tmp_path}/",
        "/var/cache/nginx/inkwell": f"{tmp_path}/cache",
        "/var/log/nginx/": f"{tmp_path}/",
        "listen 80;": f"listen 127.0.0.1:{plain};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{tls} ssl http2;",
        "listen [::]:80;": "",
        "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8001;": f"server {wsgi};",
        "server 127.0.0.1:8002;": f"server {asgi};",
    }.items():
        assert deployed in site, f"{deployed!r} is no longer in {conf.name}: update tests/nginx.py"
        site = site.replace(deployed, here)
    (tmp_path / "inkwell.conf").write_text(site)
    temp = "".join(f"  {kind}_temp_path {tmp_path}/{kind};\n" for kind in TEMP_KINDS)
    main = tmp_path / "nginx.conf"
    # Run as root (a container), nginx's workers would switch to "nobody" and could not
    # write under tmp_path; as anyone else they stay who they are.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main.write_text(
        f"{user}pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n{temp}  include /etc/nginx/mime.types;\n  include {tmp_path}/inkwell.conf;\n}}\n"
    )
    return Site(root=tmp_path, main=main, plain_port=plain, tls_port=tls)


def check(site: Site) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the rewritten file."""
    return subprocess.run(
        [NGINX, "-t", "-q", "-p", str(site.root), "-c", str(site.main)],
        capture_output=True,
        text=True,
        check=False,
    )


@contextlib.contextmanager
def running_nginx(site: Site) -> Iterator[Site]:
    """nginx in the foreground on the rewritten file until the block ends."""
    process = subprocess.Popen(
        [NGINX, "-p", str(site.root), "-c", str(site.main), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", site.tls_port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(
                        process.stderr.read().decode() if process.stderr else ""
                    ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start") from None
                time.sleep(0.05)
        yield site
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stderr:
            process.stderr.close()


def tls_socket(site: Site, timeout: float = 30) -> ssl.SSLSocket:
    """A raw TLS connection to the site (the test's self-signed certificate is not checked)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", site.tls_port), timeout=timeout)
    return context.wrap_socket(raw, server_hostname=HOST)
