"""A reader's page misses no comment: a lost broadcast, and a socket that was down.

Comments written by `manage.py shell` (another process, with its own in-memory channel
layer) are stored and numbered but their broadcast reaches nobody: exactly a broadcast
lost in a Redis outage. The page must still show them: when the next event that does
arrive skips their number, and when its socket reconnects with `?since=`.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django_otp.oath import totp
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-enough-passphrase"
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
LIVE = 15_000  # ms: generous, the server shares two cores with the browsers

SETUP = f"""
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from apps.accounts.models import User
from apps.accounts.services import mark_email_verified
from apps.blog.selectors import published_posts
for email, username, role in [
    ("cara@example.com", "cara", "reader"),
    ("dora@example.com", "dora", "editor"),
]:
    user = User.objects.create_user(email, "{PASSWORD}", username=username, display_name=username.title())
    user.groups.add(Group.objects.get(name=role))
    mark_email_verified(user=user)
TOTPDevice.objects.create(user=User.objects.get(username="dora"), name="app", confirmed=True, key="{TOTP_KEY_HEX}")
# The post with the fewest comments: every new thread shows on its first page.
post = min(published_posts("en").filter(comments_open=True), key=lambda p: p.comments.count())
print(post.pk, post.get_absolute_url())
"""

# A comment whose broadcast reaches no socket of the server (see the module docstring).
UNHEARD = """
from apps.accounts.models import User
from apps.blog.models import Post
from apps.comments.models import ModerationSettings
from apps.comments.services import create_comment
ModerationSettings.objects.update_or_create(pk=1, defaults={{"hold": "none"}})
create_comment(actor=User.objects.get(username="cara"), post=Post.objects.get(pk={post}), body="{body}")
"""


def _sign_in(page: Page, base_url: str, email: str, next_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()


class FlakySocket:
    """Routes the page's post socket through Playwright, so the test can cut it."""

    def __init__(self) -> None:
        self.down = False
        self.urls: list[str] = []
        self.current: tuple[WebSocketRoute, WebSocketRoute] | None = None

    def handle(self, ws: WebSocketRoute) -> None:
        self.urls.append(ws.url)
        if self.down:
            ws.close(code=1013, reason="down")  # "try again later": the page retries
            return
        self.current = (ws, ws.connect_to_server())

    def cut(self) -> None:
        self.down = True
        if self.current is not None:
            page_side, server_side = self.current
            server_side.close()
            page_side.close(code=1013, reason="down")
            self.current = None


def _since(url: str) -> int | None:
    values = parse_qs(urlsplit(url).query).get("since")
    return int(values[0]) if values else None


def test_a_reader_gets_comments_whose_broadcast_was_lost_and_missed_while_offline(
    browser: Browser, base_url: str, run_in_django
):
    post_id, post_url = run_in_django(SETUP).strip().splitlines()[-1].split()

    # An editor publishes comments at once, in the server's own process.
    editor = browser.new_context().new_page()
    _sign_in(editor, base_url, "dora@example.com", "/dashboard/")
    editor.get_by_label("Verification code").fill(f"{totp(bytes.fromhex(TOTP_KEY_HEX)):06d}")
    editor.get_by_role("button", name="Verify").click()
    expect(editor).to_have_url(re.compile("/dashboard/"))
    editor.goto(base_url + "/dashboard/moderation/settings/")
    editor.get_by_label("Publish comments at once").check()
    editor.get_by_role("button", name="Save settings").click()
    expect(editor.locator("#moderation-settings")).to_contain_text("Moderation settings saved")

    # An anonymous reader (a page possibly served from the page cache).
    socket = FlakySocket()
    reader = browser.new_context().new_page()
    reader.route_web_socket(re.compile(r"/ws/posts/\d+/"), socket.handle)
    reader.goto(base_url + post_url)
    expect(reader.locator("#live-status")).to_have_attribute("data-live", "connected", timeout=LIVE)
    rendered_at = int(reader.locator("[data-live-root]").get_attribute("data-live-seq") or "-1")
    assert _since(socket.urls[0]) == rendered_at

    cara = browser.new_context().new_page()
    _sign_in(cara, base_url, "cara@example.com", post_url)
    expect(cara.locator("#live-status")).to_have_attribute("data-live", "connected", timeout=LIVE)

    # 1. A broadcast lost, then one that gets through: the page shows both, in order.
    run_in_django(UNHEARD.format(post=post_id, body="Lost in the outage"))
    reader.wait_for_timeout(1_500)
    expect(reader.locator("#comment-list")).not_to_contain_text("Lost in the outage")
    cara.locator("#comment-body").fill("Heard by everyone")
    cara.get_by_role("button", name="Post comment").click()
    articles = reader.locator("#comment-list article")
    expect(articles.filter(has_text="Heard by everyone")).to_have_count(1, timeout=LIVE)
    expect(articles.filter(has_text="Lost in the outage")).to_have_count(1, timeout=LIVE)
    texts = articles.all_inner_texts()
    lost = next(i for i, t in enumerate(texts) if "Lost in the outage" in t)
    heard = next(i for i, t in enumerate(texts) if "Heard by everyone" in t)
    assert lost < heard
    seq_before_cut = int(reader.locator("[data-live-root]").get_attribute("data-live-seq") or "0")
    assert seq_before_cut == rendered_at + 2

    # 2. The socket is down while a comment is posted; the reconnect catches it up.
    socket.cut()
    expect(reader.locator("#live-status")).to_have_attribute(
        "data-live", "reconnecting", timeout=LIVE
    )
    run_in_django(UNHEARD.format(post=post_id, body="Posted while you were away"))
    socket.down = False
    expect(reader.locator("#comment-list")).to_contain_text(
        "Posted while you were away", timeout=LIVE
    )
    expect(reader.locator("#live-status")).to_have_attribute("data-live", "connected", timeout=LIVE)
    assert _since(socket.urls[-1]) == seq_before_cut
    # Each comment once: the replay and the live stream never double one.
    for text in ("Lost in the outage", "Heard by everyone", "Posted while you were away"):
        expect(articles.filter(has_text=text)).to_have_count(1)
