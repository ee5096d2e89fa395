"""Signed-in readers served from the anonymous page, with their own parts filled in.

A page in the page cache (apps.core.pagecache) is the anonymous reader's page. Most of it
is the same for everyone; what differs for a signed-in reader sits in *personal regions*
the templates mark:

    <!--personal:account-->…the anonymous version…<!--/personal:account-->
    <!--personal:comment-form post=42-->…<!--/personal:comment-form-->

`MemberPageMiddleware` serves a signed-in reader of a cached view from that stored page:
each region is replaced by its filler's rendering for this reader (registered by the app
that owns it, `register`), and the body gets the reader's CSRF header for htmx. A filler
may decline (return None), for instance when the reader would see comments others do not;
the view then renders the whole page as before. So a signed-in page costs the middleware
stack, one or two cache reads and a few small templates, not the view.

Nothing personal is ever stored in a page: the stored page is rendered for nobody, and the
filled page is answered `private, no-cache`. A filled region is kept for its reader (and
session) in the page cache as a fragment, fresh while the tags it declared are: every
region depends on `reader_tag(user)` (bumped by the apps when the reader's account, role,
e-mail addresses, notifications or own comments change) and on what else its filler
declares with `pagecache.depend_on`. Kept regions hold placeholders instead of anything made
per answer (the CSRF token), filled in each time they are served.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template

from apps.core import pagecache

logger = structlog.get_logger("inkwell.personal")

# A filler renders a region for the request's reader from the marker's arguments, or
# returns None when this reader needs the whole page rendered for them.
Filler = Callable[[HttpRequest, dict[str, str]], str | None]

_FILLERS: dict[str, Filler] = {}
_REGION = re.compile(
    r"<!--personal:(?P<name>[a-z][a-z-]*)(?P<args>(?: [a-z_]+=[\w-]+)*)-->"
    r".*?<!--/personal:(?P=name)-->",
    re.DOTALL,
)
_BODY = "<body "
# Stands for the answer's CSRF token in a filled region, so a kept region serves any request.
CSRF_PLACEHOLDER = "inkwell-csrf-token-placeholder"


def reader_tag(user_id: int) -> str:
    """The dependency tag of everything personal shown to one reader (see module docstring)."""
    return f"reader:{user_id}"


def forget_reader(user_id: int | None) -> None:
    """After the transaction commits, drop the regions kept for this reader."""
    if user_id is not None:
        pagecache.invalidate(reader_tag(user_id))


class DeclinedError(Exception):
    """A filler said this reader needs the whole page."""


def register(name: str, filler: Filler) -> None:
    """Let `filler` render the region `name` for signed-in readers (call from AppConfig.ready)."""
    _FILLERS[name] = filler


def template_filler(template_name: str) -> Filler:
    """A filler that renders a template with the reader (`user`, `request`, `csrf_token`)."""

    def fill(request: HttpRequest, args: dict[str, str]) -> str:
        context: dict[str, Any] = {
            "request": request,
            "user": request.user,
            "csrf_token": CSRF_PLACEHOLDER,
            **args,
        }
        # No context processors: a region needs only the reader, and they would cost queries.
        return get_template(template_name).render(context)

    return fill


class _Region(NamedTuple):
    name: str
    raw_args: str  # as written in the marker, " post=42"
    args: dict[str, str]


# A stored page cut at its regions once: static bytes, regions, and where the body tag's
# CSRF header goes (None), so a signed-in answer is a join of pieces, not a scan of the
# whole page per request. Kept per version of the page (its ETag), a few hundred at most.
_Piece = bytes | _Region | None
_SPLIT_LIMIT = 256
_splits: OrderedDict[str, tuple[_Piece, ...]] = OrderedDict()
_splits_lock = threading.Lock()


def _split(page: bytes) -> tuple[_Piece, ...]:
    text = page.decode()
    pieces: list[_Piece] = []
    at = 0
    for match in _REGION.finditer(text):
        pieces.append(text[at : match.start()].encode())
        args = dict(pair.split("=", 1) for pair in match["args"].split())
        pieces.append(_Region(match["name"], match["args"], args))
        at = match.end()
    pieces.append(text[at:].encode())
    # The body tag is outside every region: the first static piece that holds it is cut
    # there, and None marks where the reader's CSRF header goes.
    body = _BODY.encode()
    for index, piece in enumerate(pieces):
        if isinstance(piece, bytes) and body in piece:
            before, _, after = piece.partition(body)
            pieces[index : index + 1] = [before, None, after]
            break
    return tuple(pieces)


def _pieces(etag: str, page: bytes) -> tuple[_Piece, ...]:
    with _splits_lock:
        found = _splits.get(etag)
        if found is not None:
            _splits.move_to_end(etag)
            return found
    pieces = _split(page)
    with _splits_lock:
        _splits[etag] = pieces
        while len(_splits) > _SPLIT_LIMIT:
            _splits.popitem(last=False)
    return pieces


# A filled page as pieces: bytes, and None wherever the answer's CSRF token goes. Joined
# with this answer's token it is the page; kept (apps.accounts.replay), it is joined again
# with a new mask of the same secret for the reader's next identical request.
Segments = list[bytes | None]
_BODY_OPEN = b'<body hx-headers=\'{"X-CSRFToken": "'
_BODY_CLOSE = b"\"}' "
_PLACEHOLDER = CSRF_PLACEHOLDER.encode()
# Set in request.META (the WSGI environ) when a member page could be answered again from
# its pieces: read by apps.accounts.replay.
TEMPLATE_MARKER = "inkwell.member_template"


class MemberTemplate(NamedTuple):
    """A member page's pieces and what they were made from (see apps.accounts.replay)."""

    segments: tuple[bytes | None, ...]
    # (key in the page cache's local copies, the copy) of the page and of each kept region:
    # the pieces are current exactly while these copies are held and fresh.
    copies: tuple[tuple[str, Any], ...]


def join(segments: tuple[bytes | None, ...] | Segments, token: str) -> bytes:
    """The page the pieces make with `token` wherever a CSRF token goes."""
    raw = token.encode()
    return b"".join([raw if segment is None else segment for segment in segments])


def _segments(
    request: HttpRequest, page: str | bytes, etag: str
) -> tuple[Segments, list[tuple[str | None, bytes]]] | None:
    """The filled page's segments, and each region's kept key (None: not kept) and HTML."""
    raw = page.encode() if isinstance(page, str) else page
    pieces = _pieces(etag, raw) if etag else _split(raw)
    out: Segments = []
    regions: list[tuple[str | None, bytes]] = []
    for piece in pieces:
        if isinstance(piece, bytes):
            out.append(piece)
            continue
        if piece is None:  # where "<body " was: the tag, with the reader's CSRF header
            out.extend((_BODY_OPEN, None, _BODY_CLOSE))
            continue
        filler = _FILLERS.get(piece.name)
        if filler is None:
            logger.warning("personal.no_filler", region=piece.name)
            return None
        html = _filled(request, piece.name, filler, piece.args, piece.raw_args)
        if html is None:
            return None
        filled = html.encode()
        regions.append((_kept_key(request, piece.name, piece.raw_args), filled))
        out.append(f"<!--personal:{piece.name}{piece.raw_args}-->".encode())
        parts = filled.split(_PLACEHOLDER)
        out.append(parts[0])
        for part in parts[1:]:
            out.extend((None, part))
        out.append(f"<!--/personal:{piece.name}-->".encode())
    return out, regions


def _template(
    key: str, entry: pagecache.Entry, made: tuple[Segments, Any]
) -> MemberTemplate | None:
    """The answer's pieces with the copies they came from; None when one is not held."""
    page_copy = pagecache._local.peek(key)
    if page_copy is None or page_copy.entry is not entry:
        return None
    copies: list[tuple[str, Any]] = [(key, page_copy)]
    for kept, html in made[1]:
        if kept is None:
            return None  # rendered for this answer only
        region_key = pagecache.fragment_key(kept)
        copy = pagecache._local.peek(region_key)
        if copy is None or copy.entry["body"] != html:
            return None
        copies.append((region_key, copy))
    return MemberTemplate(tuple(made[0]), tuple(copies))


def _filled(
    request: HttpRequest, name: str, filler: Filler, args: dict[str, str], raw_args: str
) -> str | None:
    """The region as its filler renders it for this reader, kept while its tags hold."""
    key = _kept_key(request, name, raw_args)
    if key is None:
        return filler(request, args)
    user_id: int = request.user.pk  # type: ignore[assignment]  # signed in: _kept_key said so

    def render() -> str | None:
        pagecache.depend_on(request, reader_tag(user_id))
        return filler(request, args)

    return pagecache.fragment(request, key, render)


def _kept_key(request: HttpRequest, name: str, raw_args: str) -> str | None:
    """What a region is kept under for this reader and session; None if it is not kept."""
    user_id = request.user.pk
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if not settings.PERSONAL_REGIONS_KEPT or session_key is None or user_id is None:
        return None
    return f"personal\n{name}{raw_args}\n{user_id}\n{session_key}"


def _prefetch(request: HttpRequest, key: str) -> None:
    """Check the stored page (`key`) and this reader's kept regions in one round trip."""
    copy = pagecache._local.peek(key)
    if copy is None or not copy.entry.get("etag"):
        return
    regions = [
        _kept_key(request, piece.name, piece.raw_args)
        for piece in _pieces(copy.entry["etag"], copy.entry["body"])
        if isinstance(piece, _Region)
    ]
    pagecache.prefetch(request, [key, *(pagecache.fragment_key(k) for k in regions if k)])


def _has_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    # Reading them marks them used; the full render that follows shows them all the same.
    return storage is not None and any(True for _ in storage)


class MemberPageMiddleware:
    """Serves signed-in readers of cached views from the stored page (see module docstring).

    It sits after the authentication, MFA and lockout middleware, so everything that may
    refuse or redirect a reader has run; it acts in `process_view`, on views wrapped in
    `cached_for_readers`, and only for a stored HTML page that is still fresh.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if (
            not settings.PAGE_CACHE_ENABLED
            or not settings.PAGE_CACHE_MEMBERS
            or request.method not in {"GET", "HEAD"}
            or not getattr(view, "cached_for_readers", False)
            or not request.user.is_authenticated
            or "Authorization" in request.headers
            or _has_messages(request)
        ):
            return None
        key = pagecache.page_key(request)
        _prefetch(request, key)
        entry = pagecache.stored_page(request, key)
        if entry is None or not entry["headers"].get("Content-Type", "").startswith("text/html"):
            return None
        made = _segments(request, entry["body"], entry["etag"])
        if made is None:
            return None
        token = get_token(request)
        response = HttpResponse(join(made[0], token), status=entry["status"])
        if (template := _template(key, entry, made)) is not None:
            request.META[TEMPLATE_MARKER] = template
        for name in ("Content-Type", "Content-Language", "Link"):
            if name in entry["headers"]:
                response[name] = entry["headers"][name]
        response["Cache-Control"] = "private, no-cache"
        response["X-Page-Cache"] = "member"
        return response
