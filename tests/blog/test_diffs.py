"""The diff engine, and the two comparisons built on it (revisions, edit conflicts)."""

import pytest

from apps.blog.diffs import line_diff, word_diff
from apps.blog.models import Revision
from apps.blog.selectors import post_differences, revision_diff
from apps.blog.services import PostContent, current_content
from tests.factories.blog import CategoryFactory, PostFactory, TagFactory


def test_word_diff_marks_only_the_changed_words():
    before, after = word_diff("The quick fox", "The slow fox")
    assert [(s.text, s.changed) for s in before] == [
        ("The ", False),
        ("quick", True),
        (" fox", False),
    ]
    assert [(s.text, s.changed) for s in after] == [
        ("The ", False),
        ("slow", True),
        (" fox", False),
    ]


def test_line_diff_shows_changes_with_context_and_gaps():
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten").replace("line 20", "line 20\nline 21")
    lines = line_diff(old, new, context=2)
    kinds = [line.kind for line in lines]
    assert kinds[0] == "gap"
    assert lines[0].skipped == 7
    removed = next(line for line in lines if line.kind == "removed")
    added = next(line for line in lines if line.kind == "added")
    assert (removed.old_no, added.new_no) == (10, 10)
    assert [s.text for s in removed.segments if s.changed] == ["10"]
    assert [s.text for s in added.segments if s.changed] == ["ten"]
    assert lines[-1].kind == "added"
    assert lines[-1].new_no == 21
    assert "gap" in kinds[1:-1]  # lines 13 to 17 are folded away


def test_line_diff_of_equal_texts_is_empty():
    assert line_diff("same\ntext", "same\ntext") == []


def test_line_diff_without_context_keeps_every_line():
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten")
    lines = line_diff(old, new, context=None)
    assert "gap" not in [line.kind for line in lines]
    assert len([line for line in lines if line.kind != "added"]) == 20
    assert len([line for line in lines if line.kind != "removed"]) == 20


def test_revision_diff_compares_titles_by_word_and_bodies_by_line():
    older = Revision(title="Old title", body="one\ntwo")
    newer = Revision(title="New title", body="one\n2")
    diff = revision_diff(older=older, newer=newer)
    assert [s.text for s in diff.title[0] if s.changed] == ["Old"]
    assert [s.text for s in diff.title[1] if s.changed] == ["New"]
    assert [(line.kind, line.old_no, line.new_no) for line in diff.body] == [
        ("same", 1, 1),
        ("removed", 2, None),
        ("added", None, 2),
    ]


@pytest.mark.django_db
def test_post_differences_lists_only_the_fields_that_differ():
    post = PostFactory.create(title="Same", body="a\nb\nc", tags=[TagFactory.create(name="kept")])
    content = current_content(post)
    assert post_differences(post=post, content=content) == []
    content.body = "a\nB\nc"
    content.category = CategoryFactory.create(name="Elsewhere")
    rows = post_differences(post=post, content=content, new_tag_names=["fresh"])
    assert [row.label for row in rows] == ["Body", "Tags", "Category"]
    body, tags, category = rows
    assert [line.kind for line in body.lines] == ["same", "removed", "added", "same"]
    assert (tags.theirs, tags.yours) == ("kept", "fresh, kept")
    assert category.yours == "Elsewhere"


@pytest.mark.django_db
def test_post_differences_treat_an_empty_address_as_the_current_one():
    post = PostFactory.create(slug="kept-address")
    content = PostContent(title=post.title, body=post.body, slug="", tags=list(post.tags.all()))
    content.category = post.category
    content.excerpt, content.subtitle = post.excerpt, post.subtitle
    assert "Address" not in [row.label for row in post_differences(post=post, content=content)]
