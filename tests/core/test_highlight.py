"""Code highlighting on the server and image captions (apps.core.highlight, apps.core.markdown)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from pygments.styles import get_style_by_name  # type: ignore[import-untyped]
from pygments.token import Token  # type: ignore[import-untyped]

from apps.core.highlight import DARK_STYLE, LIGHT_STYLE, highlight, stylesheet
from apps.core.markdown import markdown_to_safe_html
from tests.utils import html_elements


def test_fenced_code_in_a_known_language_gets_token_classes():
    html = markdown_to_safe_html('```python\ndef greet():\n    return "hi"\n```\n')
    assert html.startswith('<pre class="highlight"><code class="language-python">')
    assert '<span class="k">def</span>' in html
    assert '<span class="s2">"hi"</span>' in html


def test_highlighted_code_carries_no_inline_style_or_script():
    html = markdown_to_safe_html("```html\n<script>alert(1)</script><b style='x'>\n```\n")
    for tag, attrs in html_elements(html):
        assert tag not in {"script", "style", "b"}
        assert all(name != "style" for name, _ in attrs)
    assert '<span class="nt">script</span>' in html  # shown as text, in colour


def test_an_unknown_language_is_shown_plain():
    html = markdown_to_safe_html("```nosuchlanguage\nx <y>\n```\n")
    assert html == '<pre><code class="language-nosuchlanguage">x &lt;y&gt;\n</code></pre>\n'


def test_the_sanitiser_keeps_only_pygments_classes_on_spans():
    from apps.core.markdown import sanitize_html

    html = sanitize_html(
        '<pre class="evil highlight"><code><span class="k bad">x</span></code></pre>'
    )
    assert 'class="highlight"' in html
    assert 'class="k"' in html
    assert "bad" not in html
    assert "evil" not in html


def test_oversized_blocks_are_not_highlighted():
    assert highlight("x = 1\n" * 20_000, "python") == ""


def test_comments_get_no_highlighting():
    html = markdown_to_safe_html("```python\nx = 1\n```\n", profile="comment")
    assert "<span" not in html


def test_the_committed_stylesheet_is_current():
    committed = Path(settings.BASE_DIR, "apps/theme/static_src/src/highlight.css")
    assert committed.read_text(encoding="utf-8") == stylesheet(), (
        "Run `manage.py highlight_css` and commit the result."
    )


def _luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("name", [LIGHT_STYLE, DARK_STYLE])
def test_every_token_colour_passes_aa_contrast_on_its_background(name):
    style = get_style_by_name(name)
    background = style.background_color
    colours = {f"#{s['color']}" for _, s in style if s["color"]}
    colours.add(f"#{style.style_for_token(Token)['color'] or '000000'}")
    worst = min(_contrast(colour, background) for colour in colours)
    assert worst >= 4.5, f"{name}: {worst:.2f}:1"


def test_a_titled_image_becomes_a_figure_with_its_caption():
    html = markdown_to_safe_html('![A heron](https://example.com/heron.jpg "Dawn at the <lake>")')
    assert html.startswith("<figure><img ")
    assert "<figcaption>Dawn at the &lt;lake&gt;</figcaption></figure>" in html


def test_an_image_without_a_title_or_inside_text_stays_inline():
    assert "<figure>" not in markdown_to_safe_html("![A heron](https://example.com/heron.jpg)")
    inline = markdown_to_safe_html('See ![a heron](https://e.com/h.jpg "Heron") here.')
    assert "<figure>" not in inline
    assert "<p>See <img" in inline
