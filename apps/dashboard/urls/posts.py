from django.urls import URLPattern, path

from apps.dashboard import views
from apps.dashboard.views import translations

# Included into the "dashboard" namespace by apps/dashboard/urls/__init__.py.
urlpatterns: list[URLPattern] = [
    path("posts/", views.post_list, name="posts"),
    path("posts/bulk/", views.posts_bulk, name="posts_bulk"),
    # One-click workflow moves from a table row (the editor has its own, answering with its panel).
    path("posts/<int:pk>/row-move/<slug:move>/", views.post_row_move, name="post_row_move"),
    path("posts/<int:pk>/revisions/", views.post_history, name="post_revisions"),
    path(
        "posts/<int:pk>/revisions/<int:revision_pk>/restore/",
        views.revision_restore,
        name="revision_restore",
    ),
    # A post's versions in the site's languages (apps.dashboard.views.translations).
    path("posts/<int:pk>/translations/", translations.post_translations, name="post_translations"),
    path(
        "posts/<int:pk>/translations/new/",
        translations.translation_create,
        name="translation_create",
    ),
    path(
        "posts/<int:pk>/translation-changes/",
        translations.translation_changes,
        name="translation_changes",
    ),
    path(
        "posts/<int:pk>/translation-current/",
        translations.translation_mark_current,
        name="translation_mark_current",
    ),
    path("categories/", views.categories, name="categories"),
    path("categories/new/", views.category_create, name="category_create"),
    path("categories/<int:pk>/row/", views.category_row, name="category_row"),
    path("categories/<int:pk>/edit/", views.category_edit, name="category_edit"),
    path("categories/<int:pk>/delete/", views.category_delete, name="category_delete"),
    path("tags/", views.tags, name="tags"),
    path("tags/new/", views.tag_create, name="tag_create"),
    path("tags/merge/", views.tags_merge, name="tags_merge"),
    path("tags/<int:pk>/row/", views.tag_row, name="tag_row"),
    path("tags/<int:pk>/edit/", views.tag_edit, name="tag_edit"),
]
