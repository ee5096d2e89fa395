"""Campaign mail: one rendering per campaign, personalised per recipient by substitution.

Rendering the template and inlining its CSS (css-inline) is the expensive part, so it is
done once per campaign (`_prepare`, cached by campaign, edit time and tracking switch); each
recipient's mail is then the prepared HTML and text with their own links put in place of
markers. The markers carry a per-process random nonce, so text in a campaign body can never
look like one.

Every mail has an HTML part with inlined CSS, a plain-text part, absolute URLs, a visible
unsubscribe link and preferences link, the RFC 8058 headers (`List-Unsubscribe` with the
one-click URL, `List-Unsubscribe-Post: List-Unsubscribe=One-Click`) and a Message-ID that
depends only on the delivery, so a message sent again after a crash is the same message
(receivers and providers that deduplicate by Message-ID drop the second copy).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from functools import cache
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import override

from apps.newsletter import tokens
from apps.newsletter.models import Campaign, Delivery, Subscriber
from apps.newsletter.tracking import open_url

_NONCE = secrets.token_hex(6)
_UNSUBSCRIBE = f"nl-{_NONCE}-unsubscribe"
_PREFERENCES = f"nl-{_NONCE}-preferences"
_OPEN = f"nl-{_NONCE}-open"
_LINK = re.compile(rf"nl-{_NONCE}-link-(\d+)")
_CSS = Path(__file__).parent / "templates" / "newsletter" / "mail" / "campaign.css"
# href/src values that are site-relative ("/media/x.png"), not protocol-relative ("//cdn").
_RELATIVE = re.compile(r'(\s(?:href|src)=")(/(?!/)[^"]*)"')
_HREF = re.compile(r'(<a\s[^>]*?href=")(https?://[^"]+)"')


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    html: str
    text: str
    headers: dict[str, str]


@dataclass(frozen=True)
class _Prepared:
    subject: str
    html: str
    text: str
    links: tuple[str, ...]


def campaign_versions(campaign: Campaign) -> dict[str, Campaign]:
    """The campaign's versions in other languages, by language (one query)."""
    return {
        version.language: version
        for version in Campaign.objects.filter(translation_of=campaign).exclude(language="")
    }


def render_campaign(
    *,
    campaign: Campaign,
    subscriber: Subscriber | None = None,
    delivery: Delivery | None = None,
    content: Campaign | None = None,
) -> RenderedMail:
    """The campaign's mail for one recipient; without a subscriber, a preview with sample links.

    With a delivery, tracked links and the open pixel (NEWSLETTER_TRACKING) point at it and
    the Message-ID is that delivery's. `content`: the version (another language) whose
    subject and text are sent; its language is the mail's.
    """
    if subscriber is None and delivery is not None:
        subscriber = delivery.subscriber
    tracking = bool(settings.NEWSLETTER_TRACKING and delivery is not None)
    content = content or campaign
    with override(content.language or settings.LANGUAGE_CODE):
        prepared = _prepare(content, tracking=tracking)
    if subscriber is not None:
        unsubscribe = tokens.unsubscribe_url(subscriber, campaign_id=campaign.pk)
        preferences = tokens.preferences_url(subscriber, campaign_id=campaign.pk)
    else:  # preview: where the links would lead, without anyone's token
        unsubscribe = preferences = tokens.absolute(reverse("newsletter:page"))
    links: list[str] = list(prepared.links)
    pixel = ""
    if tracking and delivery is not None:
        links = [tokens.click_url(delivery_id=delivery.pk, url=url) for url in prepared.links]
        pixel = open_url(delivery_id=delivery.pk)
    html = (
        _LINK.sub(lambda m: escape(links[int(m.group(1))]), prepared.html)
        .replace(_UNSUBSCRIBE, escape(unsubscribe))
        .replace(_PREFERENCES, escape(preferences))
        .replace(_OPEN, escape(pixel))
    )
    text = prepared.text.replace(_UNSUBSCRIBE, unsubscribe).replace(_PREFERENCES, preferences)
    headers = {
        "List-Unsubscribe": _list_unsubscribe(unsubscribe),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"{_list_name()} <newsletter.{_domain()}>",
    }
    if delivery is not None:
        headers["Message-ID"] = message_id(delivery)
    return RenderedMail(subject=prepared.subject, html=html, text=text, headers=headers)


def build_message(
    *, campaign: Campaign, delivery: Delivery, versions: dict[str, Campaign] | None = None
) -> EmailMultiAlternatives:
    """The Django message for one delivery (multipart/alternative: text, then HTML).

    With `versions` (campaign_versions), a subscriber whose language has one gets it.
    """
    language = delivery.subscriber.language if delivery.subscriber is not None else ""
    content = (versions or {}).get(language) if language else None
    mail = render_campaign(campaign=campaign, delivery=delivery, content=content)
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text,
        from_email=from_address(),
        to=[delivery.email],
        headers=mail.headers,
    )
    message.attach_alternative(mail.html, "text/html")
    return message


def from_address() -> str:
    return settings.NEWSLETTER_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL


def message_id(delivery: Delivery) -> str:
    """`<nl.<campaign>.<delivery>.<mac>@<site host>>`: fixed per delivery, not guessable."""
    ident = f"{delivery.campaign_id}.{delivery.pk}"
    mac = hmac.new(
        settings.SECRET_KEY.encode(), f"newsletter.message-id:{ident}".encode(), hashlib.sha256
    ).hexdigest()[:12]
    return f"<nl.{ident}.{mac}@{_domain()}>"


def _domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _list_name() -> str:
    name = parseaddr(from_address())[0] or settings.SITE_NAME
    return re.sub(r'[<>"\\\r\n]', "", name)


def _list_unsubscribe(url: str) -> str:
    entries = [f"<{url}>"]
    if settings.NEWSLETTER_UNSUBSCRIBE_MAILTO:
        entries.append(f"<mailto:{settings.NEWSLETTER_UNSUBSCRIBE_MAILTO}?subject=unsubscribe>")
    return ", ".join(entries)


def _prepare(campaign: Campaign, *, tracking: bool) -> _Prepared:
    stamp = campaign.updated_at.isoformat() if isinstance(campaign.updated_at, datetime) else ""
    return _prepare_cached(
        campaign.pk or 0,
        stamp,
        tracking,
        campaign.subject,
        campaign.preheader,
        campaign.body_html,
        _post_url(campaign),
    )


def _post_url(campaign: Campaign) -> str:
    post = campaign.post if campaign.post_id else None
    return tokens.absolute(post.get_absolute_url()) if post is not None else ""


@cache
def _css() -> str:
    return _CSS.read_text()


_prepared_cache: dict[tuple[object, ...], _Prepared] = {}


def _prepare_cached(
    campaign_id: int,
    stamp: str,
    tracking: bool,
    subject: str,
    preheader: str,
    body_html: str,
    post_url: str,
) -> _Prepared:
    # Keyed by everything that shapes the mail, so an edited campaign is never stale; a
    # handful of entries (one per campaign being sent by this process) are kept.
    key = (campaign_id, stamp, tracking, subject, preheader, body_html, post_url)
    if (hit := _prepared_cache.get(key)) is not None:
        return hit
    body = absolute_urls(body_html)
    links: list[str] = []
    if tracking:

        def mark(match: re.Match[str]) -> str:
            links.append(unescape(match.group(2)))
            return f'{match.group(1)}nl-{_NONCE}-link-{len(links) - 1}"'

        body = _HREF.sub(mark, body)
    context = {
        "subject": subject,
        "preheader": preheader,
        "body_html": body,
        "post_url": post_url,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": _UNSUBSCRIBE,
        "preferences_url": _PREFERENCES,
        "open_url": _OPEN if tracking else "",
    }
    # Imported here: the Rust inliner adds ~4 MiB to every process that loads it, and only
    # the senders and the editor's preview need it, not each page-serving worker.
    import css_inline

    inliner = css_inline.CSSInliner(
        extra_css=_css(), load_remote_stylesheets=False, keep_style_tags=False
    )
    html: str = inliner.inline(render_to_string("newsletter/mail/campaign.html", context))
    text_context = {**context, "body_text": html_to_text(absolute_urls(body_html))}
    text = render_to_string("newsletter/mail/campaign.txt", text_context)
    prepared = _Prepared(subject=subject, html=html, text=text.strip() + "\n", links=tuple(links))
    if len(_prepared_cache) >= 8:
        _prepared_cache.clear()
    _prepared_cache[key] = prepared
    return prepared


def absolute_urls(html: str) -> str:
    """Site-relative links and images made absolute (a mail has no page to be relative to)."""
    return _RELATIVE.sub(
        lambda m: f'{m.group(1)}{escape(tokens.absolute(unescape(m.group(2))))}"', html
    )


class _TextWriter(HTMLParser):
    """Sanitised campaign HTML as readable plain text: paragraphs, lists, links as URLs."""

    _BLOCKS = frozenset(
        {
            "p",
            "div",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "pre",
            "ul",
            "ol",
            "table",
            "tr",
            "figure",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str | None] = []
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in self._BLOCKS:
            self.parts.append("\n\n")
        if tag == "pre":
            self._pre += 1
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "br":
            self.parts.append("\n")
        elif tag in {"td", "th"}:
            self.parts.append(" | ")
        elif tag == "hr":
            self.parts.append("\n\n----\n\n")
        elif tag == "img" and values.get("alt"):
            self.parts.append(f"[{values['alt']}]")
        elif tag == "a":
            self._href.append(values.get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href:
            href = self._href.pop()
            if href and not href.startswith("mailto:"):
                self.parts.append(f" <{href}>")
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in self._BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    lines = (line.strip() for line in "".join(writer.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
