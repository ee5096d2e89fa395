"""Live fan-out: how long a new comment takes to reach N open sockets of one post.

Opens N WebSockets to `/ws/posts/<id>/`, spread round-robin over the ASGI servers
given (two processes in the production shape), waits until every one has joined
(its first frame, the "live" badge), then posts `messages` real comments through
the web form as a signed-in reader (the CSRF token from the post page, a POST to
`comments:create` with htmx's headers), 150-300 ms apart. Each comment's body carries
a unique token; the latency of one delivery is from just before its POST to the
moment a socket receives a frame holding that token. Sockets are split over two
client processes (asyncio, `websockets`) so the client keeps up on 2 cores.

Against running servers (the servers must let the reader comment that often:
`COMMENT_RATE_LIMIT` high enough, comments not held, i.e. the moderation hold mode
"none" or a reader with approved comments):

    python tests/perf/fanout.py --http http://127.0.0.1:8001 \
        --ws ws://127.0.0.1:8002,ws://127.0.0.1:8003 --post-id 1 \
        --post-path /2026/01/02/a-post/ --session SESSIONID --sockets 100,500,1000

Or let it start its own: two `manage.py serve` processes and a granian WSGI worker
with production settings, a throwaway PostgreSQL database and Redis
(tests/perf/fanout_servers.py):

    python tests/perf/fanout.py --start [--layer core|pubsub]

`FANOUT_DEFLATE=1` makes the clients offer permessage-deflate as browsers do (the
server then compresses every frame per socket); by default they do not.
`FANOUT_PROFILE=/path.prof` (with --start) writes a cProfile of the first ASGI process;
`FANOUT_GC_LOG=/path.log` logs its garbage collections (time, generation, ms).

From Python: `run_fanout(...)` returns one dict per socket count. Figures are printed,
never asserted (machines are noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import random
import re
import secrets
import statistics
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

CLIENT_PROCESSES = 2
# Connect this many sockets at a time per client process (a connect storm is not measured).
CONNECT_CONCURRENCY = 50
# After the last comment, how long a socket may still take before its delivery is lost.
GRACE_SECONDS = 10.0
TOKEN = re.compile(r"fanout-[0-9a-f]{16}")
CSRF_HEADER = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


# --------------------------------------------------------------------------
# Client processes: hold sockets, record when each token arrives
# --------------------------------------------------------------------------


async def _hold_sockets(urls: list[str], pipe: Connection) -> None:
    from websockets.asyncio.client import ClientConnection, connect
    from websockets.typing import Origin

    # token -> receipt times (time.monotonic is system-wide on Linux: comparable across
    # processes), and how many sockets joined.
    received: dict[str, list[float]] = {}
    joined = 0
    failures: list[str] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def listen(socket: ClientConnection) -> None:
        async for frame in socket:
            now = time.monotonic()
            text = frame if isinstance(frame, str) else frame.decode()
            if "fanout-" in text:
                for token in set(TOKEN.findall(text)):
                    received.setdefault(token, []).append(now)

    async def one(url: str) -> None:
        nonlocal joined
        try:
            async with gate:
                socket = await connect(
                    url,
                    # The page's own origin: the server checks scheme, host and port.
                    origin=Origin("http://" + urlsplit(url).netloc),
                    proxy=None,
                    compression="deflate" if os.environ.get("FANOUT_DEFLATE") else None,
                    open_timeout=60,
                    ping_interval=None,
                    max_queue=None,
                )
                await asyncio.wait_for(socket.recv(), timeout=60)  # the badge: joined
            joined += 1
            await listen(socket)
        except Exception as error:  # noqa: BLE001  # counted and reported, never fatal
            failures.append(repr(error))

    tasks = [asyncio.create_task(one(url)) for url in urls]
    while joined + len(failures) < len(urls):
        await asyncio.sleep(0.05)
    pipe.send(("joined", joined, failures[:3]))
    while await asyncio.to_thread(pipe.recv) == "count":
        pipe.send(("count", sum(len(times) for times in received.values())))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send(("received", received, time.process_time()))


TOKEN_BYTES = re.compile(rb"fanout-[0-9a-f]{16}")


class _RawSocket(asyncio.Protocol):
    """A minimal WebSocket client: the handshake, then unmasked server frames read in place.

    The `websockets` client spent about 70 µs of Python per frame: with 500 sockets a client
    process took 35 ms to read one comment's frames, on the same two cores as the servers,
    so the measure was as much the client's queue as the server's fan-out. Here a frame
    costs a header parse and a bytes search for the token, stamped when its bytes arrive
    (as a browser's network stack would have them). Pings are answered; nothing is sent
    otherwise. No permessage-deflate: FANOUT_DEFLATE uses the `websockets` client.
    """

    def __init__(self, host: str, path: str, received: dict[str, list[float]]) -> None:
        self.host = host
        self.path = path
        self.received = received
        self.buffer = b""
        self.upgraded = False
        self.joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        transport.write(  # type: ignore[attr-defined]
            (
                f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: http://{self.host}\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buffer = self.buffer + data
        if not self.upgraded:
            head, found, rest = buffer.partition(b"\r\n\r\n")
            if not found:
                self.buffer = buffer
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self._fail(ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace")))
                return
            self.upgraded = True
            buffer = rest
        at = 0
        while len(buffer) - at >= 2:
            opcode, length = buffer[at] & 0x0F, buffer[at + 1] & 0x7F
            start = at + 2
            if length == 126:
                start, length = at + 4, int.from_bytes(buffer[at + 2 : at + 4], "big")
            elif length == 127:
                start, length = at + 10, int.from_bytes(buffer[at + 2 : at + 10], "big")
            if len(buffer) < start + length:
                break
            payload = buffer[start : start + length]
            at = start + length
            if opcode == 0x9 and self.transport is not None:  # ping: pong, masked
                mask = secrets.token_bytes(4)
                masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + mask + masked)
            elif opcode in (0x1, 0x0):
                if not self.joined.done():
                    self.joined.set_result(None)  # the first frame, the badge: joined
                if b"fanout-" in payload:
                    for token in set(TOKEN_BYTES.findall(payload)):
                        self.received.setdefault(token.decode(), []).append(now)
        self.buffer = buffer[at:]

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("closed"))

    def _fail(self, error: BaseException) -> None:
        if not self.joined.done():
            self.joined.set_exception(error)
        if self.transport is not None:
            self.transport.close()


async def _hold_raw_sockets(urls: list[str], pipe: Connection) -> None:
    received: dict[str, list[float]] = {}
    joined = 0
    failures: list[str] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    loop = asyncio.get_running_loop()
    transports: list[asyncio.BaseTransport] = []

    async def one(url: str) -> None:
        nonlocal joined
        parts = urlsplit(url)
        try:
            async with gate:
                transport, protocol = await loop.create_connection(
                    lambda: _RawSocket(parts.netloc, parts.path, received),
                    parts.hostname or "127.0.0.1",
                    parts.port or 80,
                )
                transports.append(transport)
                await asyncio.wait_for(protocol.joined, timeout=60)
            joined += 1
        except Exception as error:  # noqa: BLE001  # counted and reported, never fatal
            failures.append(repr(error))

    await asyncio.gather(*(one(url) for url in urls))
    pipe.send(("joined", joined, failures[:3]))
    while await asyncio.to_thread(pipe.recv) == "count":
        pipe.send(("count", sum(len(times) for times in received.values())))
    for transport in transports:
        transport.close()
    await asyncio.sleep(0.1)
    pipe.send(("received", received, time.process_time()))


def _client_main(urls: list[str], pipe: Connection) -> None:
    light = not os.environ.get("FANOUT_DEFLATE") and os.environ.get("FANOUT_CLIENT") != "websockets"
    hold = _hold_raw_sockets if light else _hold_sockets
    try:
        import uvloop

        uvloop.run(hold(urls, pipe))
    except ImportError:
        asyncio.run(hold(urls, pipe))


# --------------------------------------------------------------------------
# The commenter: real posts through the web form
# --------------------------------------------------------------------------


class Commenter:
    """A signed-in reader posting through the comment form as htmx does."""

    def __init__(self, http: str, post_id: int, post_path: str, session: str) -> None:
        self.http = http.rstrip("/")
        self.post_id = post_id
        self.post_path = post_path
        self.session = session
        self.client = requests.Session()
        self.headers: dict[str, str] = {}
        self.cookie = ""
        self._fetch_token()

    def _fetch_token(self) -> None:
        url = self.http + self.post_path
        cookie = f"sessionid={self.session}"
        response = self.client.get(url, headers={"Cookie": cookie}, allow_redirects=False)
        proxy: dict[str, str] = {}
        if response.status_code in {301, 302} and response.headers.get("Location", "").startswith(
            "https://"
        ):
            # Production settings redirect to HTTPS: say what a TLS-terminating proxy says.
            proxy = {"X-Forwarded-Proto": "https"}
            response = self.client.get(url, headers={"Cookie": cookie, **proxy})
        response.raise_for_status()
        match = CSRF_HEADER.search(response.text) or CSRF_INPUT.search(response.text)
        csrf_cookie = response.cookies.get("csrftoken")
        if match is None or csrf_cookie is None:
            raise SystemExit(
                f"No CSRF token on {url} ({response.status_code}, cookies "
                f"{list(response.cookies.keys())}): is the session signed in?"
            )
        scheme = "https" if proxy else "http"
        origin = f"{scheme}://{urlsplit(self.http).netloc}"
        # Cookies by hand: production marks them Secure, which requests would not send.
        self.cookie = f"sessionid={self.session}; csrftoken={csrf_cookie}"
        self.headers = {
            **proxy,
            "Cookie": self.cookie,
            "X-CSRFToken": match.group(1),
            "HX-Request": "true",
            "HX-Current-URL": origin + self.post_path,
            "Origin": origin,
            "Referer": origin + self.post_path,
        }

    def post(self, body: str) -> None:
        response = self.client.post(
            f"{self.http}/comments/posts/{self.post_id}/",
            data={"body": body},
            headers=self.headers,
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code not in {200, 302} or "awaiting approval" in response.text:
            raise SystemExit(
                f"Posting a comment failed ({response.status_code}): rate limit, hold mode "
                f"or session? {response.text[:300]!r}"
            )
        if response.status_code == 200 and "errorlist" in response.text:
            raise SystemExit(f"The comment form refused: {response.text[:300]!r}")


# --------------------------------------------------------------------------
# One measurement
# --------------------------------------------------------------------------


def _ms(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)


def _measure(
    commenter: Commenter, ws_urls: list[str], post_id: int, sockets: int, messages: int
) -> dict[str, float | int]:
    path = f"/ws/posts/{post_id}/"
    urls = [ws_urls[i % len(ws_urls)].rstrip("/") + path for i in range(sockets)]
    context = multiprocessing.get_context("spawn")
    clients = []
    for part in range(CLIENT_PROCESSES):
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_client_main, args=(urls[part::CLIENT_PROCESSES], theirs), daemon=True
        )
        process.start()
        clients.append((process, ours))
    joined = 0
    for _process, pipe in clients:
        if not pipe.poll(180):
            raise SystemExit("The client processes did not connect within 3 minutes.")
        _kind, count, failures = pipe.recv()
        joined += count
        if failures:
            print(f"  connect failures, e.g. {failures}", file=sys.stderr)  # noqa: T201
    time.sleep(1.5)  # let the reader-count broadcast of the connect storm pass

    sent: dict[str, float] = {}
    posts: list[float] = []
    for _ in range(messages):
        token = f"fanout-{secrets.token_hex(8)}"
        started = time.monotonic()
        sent[token] = started
        commenter.post(f"Fan-out probe {token}")
        spent = time.monotonic() - started
        posts.append(spent)
        time.sleep(max(0.0, random.uniform(0.15, 0.30) - spent))  # noqa: S311

    # Wait until every socket has every comment, or the grace period is over (then the
    # rest is lost).
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.2)
        for _process, pipe in clients:
            pipe.send("count")
        if sum(pipe.recv()[1] for _process, pipe in clients) >= joined * messages:
            break
    latencies: list[float] = []
    received: dict[str, list[float]] = {}
    client_cpu = 0.0
    for _process, pipe in clients:
        pipe.send("stop")
    for process, pipe in clients:
        if not pipe.poll(60):
            raise SystemExit("A client process did not report back.")
        _kind, part_received, cpu = pipe.recv()
        client_cpu += cpu
        for token, times in part_received.items():
            received.setdefault(token, []).extend(times)
        process.join(10)
    firsts: list[float] = []
    for token, started in sent.items():
        times = [t - started for t in received.get(token, []) if t - started >= 0]
        latencies.extend(times)
        if times:
            firsts.append(min(times))
    delivered = len(latencies)
    return {
        "sockets": sockets,
        "joined": joined,
        "messages": messages,
        "delivered": delivered,
        "lost": sockets * messages - delivered,
        "p50_ms": _ms(latencies, 0.50),
        "p99_ms": _ms(latencies, 0.99),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else float("nan"),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else float("nan"),
        # The fixed part of a delivery: the comment POST's answer time, and the first socket
        # to get each comment (medians over the comments).
        "post_ms": _ms(posts, 0.50),
        "first_ms": _ms(firsts, 0.50),
        # CPU seconds the client processes used (connects included): the client shares the
        # machine with the servers.
        "client_cpu_s": round(client_cpu, 1),
        # The machine's 1-minute load average at the end: other work on it skews the figures.
        "load": round(os.getloadavg()[0], 1),
    }


def run_fanout(
    http: str,
    ws_urls: list[str],
    post_id: int,
    post_path: str,
    session: str,
    sockets: list[int],
    messages: int,
) -> list[dict[str, Any]]:
    """Measure fan-out at each socket count; one dict per count:
    {sockets, messages, delivered, lost, p50_ms, p99_ms, max_ms} (plus joined, mean_ms)."""
    commenter = Commenter(http, post_id, post_path, session)
    results = []
    for count in sockets:
        results.append(_measure(commenter, ws_urls, post_id, count, messages))
        time.sleep(3)  # let the servers drop the closed sockets from the groups
    return results


def format_table(results: list[dict[str, Any]], title: str = "") -> str:
    lines = [title] if title else []
    lines.append(
        f"{'sockets':>8} {'messages':>8} {'delivered':>10} {'lost':>6} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'first ms':>8} {'POST ms':>8} "
        f"{'load':>5} {'client cpu s':>12}"
    )
    lines.extend(
        f"{r['sockets']:>8} {r['messages']:>8} {r['delivered']:>10} {r['lost']:>6} "
        f"{r['p50_ms']:>8} {r['p99_ms']:>8} {r['max_ms']:>8} {r.get('first_ms', ''):>8} "
        f"{r.get('post_ms', ''):>8} {r.get('load', ''):>5} {r.get('client_cpu_s', ''):>12}"
        for r in results
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--http", help="the server that takes the comment POST")
    parser.add_argument("--ws", help="comma-separated ws:// base URLs of the ASGI servers")
    parser.add_argument("--post-id", type=int)
    parser.add_argument("--post-path", help="the post page's path (for the CSRF token)")
    parser.add_argument("--session", help="the signed-in commenter's session id")
    parser.add_argument("--sockets", default="100,500,1000")
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--start", action="store_true", help="start servers (fanout_servers.py)")
    parser.add_argument("--layer", choices=["core", "pubsub"], default=None)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5", help="with --start")
    parser.add_argument("--database", default="inkwell_fanout_bench", help="with --start")
    args = parser.parse_args(argv)
    sockets = [int(n) for n in args.sockets.split(",")]
    if args.start:
        from tests.perf import fanout_servers

        return fanout_servers.start_and_measure(
            layer=args.layer, redis_url=args.redis, database=args.database,
            sockets=sockets, messages=args.messages,
        )  # fmt: skip
    missing = [
        name
        for name in ("http", "ws", "post_id", "post_path", "session")
        if not getattr(args, name)
    ]
    if missing:
        parser.error(f"without --start, give --{', --'.join(m.replace('_', '-') for m in missing)}")
    results = run_fanout(
        args.http, args.ws.split(","), args.post_id, args.post_path, args.session,
        sockets, args.messages,
    )  # fmt: skip
    print(format_table(results))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main())
