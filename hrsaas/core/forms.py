"""Form fields shared by the apps' pages (their parsing lives in hrsaas.core.inputs)."""
from __future__ import annotations

from django import forms

from .inputs import line_breaks_once


class TextBoxField(forms.CharField):
    """A text box (<textarea>): its line breaks arrive as CRLF, two characters, while the box's
    maxlength counts each as one — so the form counts, and hands on, each as one "\\n"
    (line_breaks_once): 300 characters on 200 lines fit a box of 500, as the browser let them."""

    widget = forms.Textarea

    def to_python(self, value):
        value = super().to_python(value)
        return line_breaks_once(value) if isinstance(value, str) else value
