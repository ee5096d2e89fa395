"""A real SMTP server that keeps what it receives (aiosmtpd), for the send-loop tests.

In-process: `with SmtpSink() as sink:` runs it on a thread; `sink.messages` is every
message accepted (recipients, Message-ID, raw bytes). `mode` makes it misbehave:
"refuse" answers RCPT with 451 (temporary), "reject" with 550 (permanent), "timeout" holds
DATA for `delay` seconds before answering. `refuse_first=n` refuses only the first n tries.

As its own process (the kill test's workers and the benchmark send from other processes):
`python -m tests.newsletter.smtp_sink --port N --log FILE` appends one line per accepted
message, "<recipient>\\t<Message-ID>", flushed at once so a reader sees it immediately.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Received:
    recipients: tuple[str, ...]
    message_id: str
    raw: bytes = field(repr=False)


def message_id_of(raw: bytes) -> str:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = _MESSAGE_ID.search(head)
    return match.group(1).decode() if match else ""


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.sink.lock:
            self.sink.rcpt_attempts += 1
            tries = self.sink.rcpt_attempts
        refusing = not self.sink.refuse_first or tries <= self.sink.refuse_first
        if self.sink.mode == "refuse" and refusing:
            return "451 4.3.0 Mailbox busy, try again later"
        if self.sink.mode == "reject":
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.sink.mode == "timeout":
            await asyncio.sleep(self.sink.delay)
        raw = bytes(envelope.original_content or envelope.content)
        self.sink.record(Received(tuple(envelope.rcpt_tos), message_id_of(raw), raw))
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(
        self,
        *,
        port: int = 0,
        mode: str = "accept",
        delay: float = 3.0,
        refuse_first: int = 0,
        log: TextIO | None = None,
    ) -> None:
        self.mode = mode
        self.delay = delay
        self.refuse_first = refuse_first
        self.messages: list[Received] = []
        self.rcpt_attempts = 0
        self.lock = threading.Lock()
        self._log = log
        self.port = port or _free_port()
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10
        )

    def record(self, received: Received) -> None:
        with self.lock:
            if self._log is None:
                self.messages.append(received)
            else:
                for rcpt in received.recipients:
                    self._log.write(f"{rcpt}\t{received.message_id}\n")
                self._log.flush()

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def email_url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", type=Path, required=True)
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with args.log.open("a") as log, SmtpSink(port=args.port, log=log):
        print(f"listening on {args.port}", flush=True)  # noqa: T201
        while not stop.is_set():
            time.sleep(0.2)


if __name__ == "__main__":
    main()
