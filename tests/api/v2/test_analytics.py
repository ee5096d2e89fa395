"""Statistics over /api/v2: editors see the site, authors their own posts, readers nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import access_for, call
from tests.factories.analytics import goal, visit
from tests.factories.blog import PostFactory

pytestmark = pytest.mark.django_db

URL = "/api/v2/analytics"


@pytest.fixture
def traffic(author):
    mine = PostFactory.create(author=author, slug="mine")
    theirs = PostFactory.create(slug="theirs")
    now = timezone.now()
    ids = {"/posts/mine/": mine.pk, "/posts/theirs/": theirs.pk}
    authors = {"/posts/mine/": author.pk, "/posts/theirs/": theirs.author_id}
    visit(
        1,
        [
            (now - timedelta(minutes=3), "/posts/mine/"),
            (now - timedelta(minutes=2), "/posts/theirs/"),
        ],
        post_ids=ids,
        author_ids=authors,
        referrer="example.org",
    )
    visit(2, [(now - timedelta(minutes=1), "/posts/theirs/")], post_ids=ids, author_ids=authors)
    goal("signed_up", now)
    return {"mine": mine, "theirs": theirs}


def test_editor_reads_the_site_summary(api, editor, traffic):
    response = call(api, "get", f"{URL}/summary", token=access_for(editor))
    assert response.status_code == 200
    data = response.json()
    assert (data["visitors"], data["visits"], data["pageviews"]) == (2, 2, 3)
    assert data["bounce_rate"] == 0.5
    assert data["end"] == timezone.localdate().isoformat()


def test_author_only_sees_their_own_posts(api, author, traffic):
    token = access_for(author)
    data = call(api, "get", f"{URL}/summary", token=token).json()
    assert data["pageviews"] == 1
    posts = call(api, "get", f"{URL}/posts", token=token).json()
    assert [row["post_id"] for row in posts] == [traffic["mine"].pk]
    theirs = call(api, "get", f"{URL}/summary?post_id={traffic['theirs'].pk}", token=token).json()
    assert theirs["pageviews"] == 0


def test_readers_and_anonymous_callers_are_refused(api, reader, traffic):
    assert call(api, "get", f"{URL}/summary").status_code == 401
    response = call(api, "get", f"{URL}/summary", token=access_for(reader))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_timeseries_breakdown_posts_and_live(api, editor, traffic):
    token = access_for(editor)
    today = timezone.localdate()
    series = call(
        api, "get", f"{URL}/timeseries?start={today - timedelta(days=6)}", token=token
    ).json()
    assert len(series) == 7
    assert series[-1]["pageviews"] == 3
    hours = call(api, "get", f"{URL}/timeseries?start={today}&interval=hour", token=token).json()
    assert len(hours) == 24
    referrers = call(api, "get", f"{URL}/breakdown/referrer", token=token).json()
    assert referrers[0] == {"value": "example.org", "visitors": 1, "visits": 1, "pageviews": 2}
    goals = call(api, "get", f"{URL}/breakdown/goal", token=token).json()
    assert goals == [{"value": "signed_up", "visitors": 0, "visits": 0, "pageviews": 1}]
    posts = call(api, "get", f"{URL}/posts?limit=1", token=token).json()
    assert posts == [
        {
            "post_id": traffic["theirs"].pk,
            "value": "/posts/theirs/",
            "visitors": 2,
            "visits": 2,
            "pageviews": 2,
        }
    ]
    assert call(api, "get", f"{URL}/live", token=token).json() == {"visitors": 2, "minutes": 5}
    filtered = call(api, "get", f"{URL}/summary?referrer=(none)", token=token).json()
    assert filtered["pageviews"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "summary?start=2026-02-01&end=2026-01-01",
        "summary?start=2020-01-01&end=2026-01-01",
        "summary?start=yesterday",
        "timeseries?start=2026-01-01&end=2026-03-01&interval=hour",
        "breakdown/password",
        "breakdown/page?limit=1000",
        "live?minutes=0",
    ],
)
def test_bad_parameters_get_422(api, editor, query):
    response = call(api, "get", f"{URL}/{query}", token=access_for(editor))
    assert response.status_code == 422, response.content
