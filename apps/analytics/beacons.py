"""Turn one beacon (JSON from our script, plus request headers) into an event, or refuse it.

Only what the statistics need survives this module: the path, the referrer's host, the three
utm_* parameters, browser, OS and device class (parsed by ua-parser, the raw user agent is
dropped), a country code when a GeoIP database is configured, and the visitor ids (hashes).
The IP address and the user agent never leave the request.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from ua_parser import parse as parse_user_agent

MAX_BODY = 2048
MAX_URL = 2000
MAX_PATH = 300
MAX_REFERRER = 200
MAX_UTM = 100
UTM_KEYS = {"utm_source": "us", "utm_medium": "um", "utm_campaign": "uc"}

# ua-parser names crawlers it knows ("Spider"); these catch tools and headless browsers too.
BOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|scrap|fetch|monitor|preview|headless|phantom|selenium|puppeteer|"
    r"lighthouse|pingdom|uptime|curl|wget|python|httpclient|okhttp|java/|go-http|libwww|"
    r"axios|node-fetch|facebookexternalhit|embedly|quora link|whatsapp|mediapartners",
    re.IGNORECASE,
)
TABLETS = {"iPad", "Kindle", "Nexus 7", "Nexus 9", "Nexus 10", "Generic Tablet"}
MOBILE_OSES = {"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "HarmonyOS"}


class BadBeaconError(ValueError):
    """The beacon is malformed, too large or not from this site: answer 400, store nothing."""


@dataclass(frozen=True)
class Page:
    path: str
    referrer: str
    utm_source: str
    utm_medium: str
    utm_campaign: str


@dataclass(frozen=True)
class Client:
    browser: str
    os: str
    device: str  # "desktop", "mobile" or "tablet"
    is_bot: bool


def parse_body(body: bytes) -> dict[str, str]:
    """The beacon's JSON object {"u": page URL, "r": referrer URL}; anything else is refused."""
    if len(body) > MAX_BODY:
        raise BadBeaconError("too large")
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError) as error:  # RecursionError: deeply nested input
        raise BadBeaconError("not JSON") from error
    if not isinstance(data, dict) or set(data) - {"u", "r"} or "u" not in data:
        raise BadBeaconError("not a beacon")
    url, referrer = data["u"], data.get("r", "")
    if not isinstance(url, str) or not isinstance(referrer, str):
        raise BadBeaconError("not a beacon")
    if len(url) > MAX_URL or len(referrer) > MAX_URL:
        raise BadBeaconError("too long")
    return {"u": url, "r": referrer}


def _clean(value: str, limit: int) -> str:
    return "".join(ch for ch in value if ch.isprintable()).strip()[:limit]


def _host(netloc_host: str | None) -> str:
    host = (netloc_host or "").lower().rstrip(".")
    return host.removeprefix("www.")


def normalise_page(url: str, referrer: str, *, site_host: str) -> Page:
    """Path, referrer host and utm_* of a page URL that must be on `site_host`."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError as error:
        raise BadBeaconError("bad URL") from error
    if parts.scheme not in {"http", "https"} or not host:
        raise BadBeaconError("bad URL")
    netloc = host.lower() + (f":{port}" if port is not None else "")
    if netloc != site_host.lower() or parts.username is not None:
        raise BadBeaconError("another host")
    site_name = site_host.lower().partition(":")[0]
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    if not path.startswith("/"):
        path = "/" + path
    utm = dict.fromkeys(UTM_KEYS, "")
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if key in utm and not utm[key]:
            utm[key] = _clean(value, MAX_UTM)
    return Page(
        path=_clean(path, MAX_PATH) or "/",
        referrer=_referrer_host(referrer, site_name),
        utm_source=utm["utm_source"],
        utm_medium=utm["utm_medium"],
        utm_campaign=utm["utm_campaign"],
    )


def _referrer_host(referrer: str, site_name: str) -> str:
    if not referrer:
        return ""
    try:
        parts = urlsplit(referrer)
        host = _host(parts.hostname)
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"} or host == _host(site_name):
        return ""  # another app's scheme, or a page of our own site
    return _clean(host, MAX_REFERRER)


@lru_cache(maxsize=4096)
def describe_client(user_agent: str) -> Client:
    """Browser, OS and device class of a user agent, and whether it is a bot."""
    if not user_agent or BOT_PATTERN.search(user_agent):
        return Client(browser="", os="", device="", is_bot=True)
    result = parse_user_agent(user_agent)
    device_family = result.device.family if result.device else ""
    if device_family == "Spider":
        return Client(browser="", os="", device="", is_bot=True)
    browser = result.user_agent.family if result.user_agent else ""
    os_name = result.os.family if result.os else ""
    if (
        device_family in TABLETS
        or "Tablet" in device_family
        or (os_name == "Android" and "Mobile" not in user_agent)
    ):
        device = "tablet"
    elif os_name in MOBILE_OSES or "Mobile" in user_agent:
        device = "mobile"
    else:
        device = "desktop"
    return Client(
        browser=_clean(browser if browser != "Other" else "", 50),
        os=_clean(os_name if os_name != "Other" else "", 50),
        device=device,
        is_bot=False,
    )


_geoip: Any = None


def country_of(ip: str) -> str:
    """The two-letter country of an IP address when a GeoIP database is configured, else ""."""
    global _geoip
    path = settings.ANALYTICS_GEOIP_PATH
    if not path:
        return ""
    if _geoip is None:
        import geoip2.database  # type: ignore[import-not-found]  # optional dependency

        _geoip = geoip2.database.Reader(path)
    try:
        found = _geoip.country(ip)
    except Exception:  # noqa: BLE001 (unknown or private address: no country)
        return ""
    return str(found.country.iso_code or "")[:2]


def event(
    page: Page, client: Client, *, visitor: int, previous: int | None, country: str
) -> dict[str, Any]:
    """The buffered form of a page view (JSON-able, short keys: it sits in Redis)."""
    return {
        "t": time.time(),
        "v": visitor,
        "pv": previous,
        "p": page.path,
        "r": page.referrer,
        "us": page.utm_source,
        "um": page.utm_medium,
        "uc": page.utm_campaign,
        "b": client.browser,
        "o": client.os,
        "d": client.device,
        "c": country,
    }


def warm_up() -> None:
    """Load ua-parser's rules now (the first parse takes ~0.4 s), not in a reader's request."""
    describe_client("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0")
