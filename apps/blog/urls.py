from django.urls import path

from apps.blog import feeds, views
from apps.core.pagecache import cached_for_readers

app_name = "blog"

urlpatterns = [
    path("", views.home, name="home"),
    path("posts/<slug:slug>/", views.post_detail, name="post_detail"),
    path("posts/<slug:slug>/card-<str:digest>.png", views.social_card, name="social_card"),
    path("search/", views.search, name="search"),
    path("preview/<str:token>/", views.preview, name="preview"),
    path("archive/", views.archive_index, name="archive_index"),
    path("archive/<int:year>/<int:month>/", views.archive_month, name="archive_month"),
    path("categories/<slug:slug>/", views.category_detail, name="category_detail"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag_detail"),
    path("authors/<str:username>/", views.author_detail, name="author_detail"),
    # Feeds: RSS 2.0 and Atom for the site, each category, tag and author (page-cached for
    # anonymous readers until a post they list changes: feeds.LatestPostsFeed.get_feed).
    path("feed/", cached_for_readers(feeds.LatestPostsFeed()), name="feed_rss"),
    path("feed/atom/", cached_for_readers(feeds.LatestPostsAtomFeed()), name="feed_atom"),
    path(
        "categories/<slug:slug>/feed/",
        cached_for_readers(feeds.CategoryFeed()),
        name="category_feed_rss",
    ),
    path(
        "categories/<slug:slug>/feed/atom/",
        cached_for_readers(feeds.CategoryAtomFeed()),
        name="category_feed_atom",
    ),
    path("tags/<slug:slug>/feed/", cached_for_readers(feeds.TagFeed()), name="tag_feed_rss"),
    path(
        "tags/<slug:slug>/feed/atom/", cached_for_readers(feeds.TagAtomFeed()), name="tag_feed_atom"
    ),
    path(
        "authors/<str:username>/feed/",
        cached_for_readers(feeds.AuthorFeed()),
        name="author_feed_rss",
    ),
    path(
        "authors/<str:username>/feed/atom/",
        cached_for_readers(feeds.AuthorAtomFeed()),
        name="author_feed_atom",
    ),
]
