import pytest

from apps.core.markdown import markdown_to_safe_html, sanitize_html
from tests.utils import html_elements as _elements


def test_markdown_to_safe_html_renders_headings_lists_tables_and_code():
    html = markdown_to_safe_html(
        "## Title\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```\n"
    )
    assert '<h2 id="title">Title</h2>' in html
    assert "<li>one</li>" in html
    assert "<table>" in html
    assert "<td>1</td>" in html
    assert '<code class="language-python">' in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<svg onload=alert(1)>",
    ],
)
def test_markdown_to_safe_html_neutralises_scripts_and_handlers(source):
    elements = _elements(markdown_to_safe_html(source))
    for tag, attrs in elements:
        assert tag not in {"script", "iframe", "svg", "style"}
        for name, value in attrs:
            assert not name.startswith("on")
            assert name != "style"
            assert not (value or "").strip().lower().startswith("javascript:")


def test_sanitize_html_removes_dangerous_markup_that_reaches_it():
    html = sanitize_html(
        '<img src="x" onerror="alert(1)"><a href="javascript:alert(1)">x</a>'
        '<p style="color:red">y</p><script>alert(1)</script>'
    )
    assert html == '<img src="x"><a rel="noopener noreferrer">x</a><p>y</p>'
