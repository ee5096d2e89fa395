"""The form_field component: plain inputs, counted inputs, and checkbox lists."""

from django import forms
from django.template import Context, Template


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


class _Form(forms.Form):
    excerpt = forms.CharField(
        max_length=400,
        required=False,
        help_text="Shown on post cards.",
        widget=forms.Textarea(attrs={"class": "own-class", "data-counter": "400"}),
    )
    name = forms.CharField()
    tags = forms.MultipleChoiceField(
        required=False,
        choices=[("a", "Alpha"), ("b", "Beta")],
        widget=forms.CheckboxSelectMultiple,
    )
    nothing = forms.MultipleChoiceField(
        required=False, choices=[], widget=forms.CheckboxSelectMultiple
    )


def test_form_field_shows_a_character_counter_beside_the_help_text():
    form = _Form(initial={"excerpt": "Twelve chars"})
    html = render('{% component "form_field" field=field counter=400 / %}', field=form["excerpt"])
    assert 'data-counter-for="id_excerpt" data-max="400">12/400</span>' in html
    assert 'aria-describedby="id_excerpt_help"' in html
    assert 'id="id_excerpt_help"' in html


def test_form_field_keeps_a_widgets_own_class():
    html = render('{% component "form_field" field=field / %}', field=_Form()["excerpt"])
    assert 'class="own-class"' in html
    assert "ring-slate-300" not in html


def test_form_field_styles_a_plain_widget_and_marks_it_required():
    form = _Form(data={})
    form.is_valid()
    html = render('{% component "form_field" field=field / %}', field=form["name"])
    assert "ring-red-500" in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_name_errors"' in html
    assert 'aria-hidden="true">*</span>' in html


def test_form_field_renders_a_checkbox_list_as_a_fieldset_with_a_filter():
    html = render(
        '{% component "form_field" field=field filterable=True / %}', field=_Form()["tags"]
    )
    assert "<fieldset" in html
    assert "<legend" in html
    assert 'data-filter-list="id_tags_options"' in html
    assert html.count("data-filter-item") == 2
    assert 'type="checkbox"' in html
    assert "Alpha" in html


def test_form_field_says_what_is_missing_when_a_list_is_empty():
    source = '{% component "form_field" field=field empty="No tags yet." / %}'
    html = render(source, field=_Form()["nothing"])
    assert ("No tags yet." in html, "data-filter-list" in html) == (True, False)
