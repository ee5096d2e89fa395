"""wrk for `make bench`: run it, and read its `--latency` report into numbers.

wrk comes from the operating system (Debian/Ubuntu: `apt-get install wrk`); the bench
installs nothing. Parsing is kept apart from running, so tests can feed it recorded
output (tests/test_bench_harness.py).
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

INSTALL_HINT = (
    "wrk is not installed: `make bench` measures with it and installs nothing itself.\n"
    "Install it with: sudo apt-get install -y wrk   (Debian/Ubuntu; macOS: brew install wrk)"
)
# A slow response is a finding, not an error: wrk's default (2 s) would drop it from the
# latencies and count it as a timeout instead.
TIMEOUT = "30s"
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = re.compile(r"^([\d.]+)(us|ms|s|m|h)$")


class WrkOutputError(ValueError):
    """wrk's output did not have the figures the bench reads."""


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    # Responses outside 2xx/3xx plus socket errors (connect, read, write, timeout).
    errors: int


def duration_ms(text: str) -> float:
    """wrk's latency ("812.00us", "46.48ms", "1.02s", "1.50m") in milliseconds."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise WrkOutputError(f"Not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse(output: str) -> WrkResult:
    """The figures of one `wrk --latency` run."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    # Anchored to the line start: "75.50%" in the thread stats would match "50%" otherwise.
    p50 = re.search(r"^\s+50(?:\.0+)?%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99(?:\.0+)?%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in ", output, re.MULTILINE)
    if not (rate and p50 and p99 and total):
        raise WrkOutputError(f"Could not read wrk's output:\n{output}")
    errors = 0
    if sockets := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in sockets.groups())
    if non_2xx := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(non_2xx[1])
    return WrkResult(
        rps=float(rate[1]),
        p50_ms=duration_ms(p50[1]),
        p99_ms=duration_ms(p99[1]),
        requests=int(total[1]),
        errors=errors,
    )


def median_result(results: Sequence[WrkResult]) -> WrkResult:
    """One row from several rounds: the median of each figure, the errors added up."""
    if not results:
        raise ValueError("No rounds to summarise.")
    return WrkResult(
        rps=statistics.median(r.rps for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
    )


def available() -> bool:
    return shutil.which("wrk") is not None


def command(
    url: str, *, connections: int, seconds: float, headers: dict[str, str] | None = None
) -> list[str]:
    threads = max(1, min(2, connections))  # the machine's two cores, shared with the servers
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    args += ["--timeout", TIMEOUT]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    return [*args, url]


def run(
    url: str, *, connections: int, seconds: float, headers: dict[str, str] | None = None
) -> WrkResult:
    """Load `url` for `seconds` over `connections` keep-alive connections."""
    completed = subprocess.run(
        command(url, connections=connections, seconds=seconds, headers=headers),
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 60,
    )
    if completed.returncode != 0:
        raise WrkOutputError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse(completed.stdout)
