"""A form field for picking a region in any filter form, rendered as the htmx region picker.

class HouseholdFilterForm(RegionFilterForm):
    status = forms.ChoiceField(...)

form = HouseholdFilterForm(request.GET or None, user=request.user)
region = form.cleaned_data["region"]  # a Region visible to the user, or None
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django import forms
from django.forms.renderers import BaseRenderer
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from bangfu.regions.models import Region
from bangfu.regions.picker import build_picker


class RegionPickerWidget(forms.Widget):
    """Renders the picker (``regions/picker.html``) for ``self.user``; the submitted value is the last
    ``name`` value in the data (see ``bangfu.regions.picker``)."""

    user: Any = None

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Region):
            return value.code
        return str(value) if value else None

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        picker = build_picker(user=self.user, value=self.format_value(value), name=name)
        return SafeString(render_to_string("regions/picker.html", {"picker": picker}))


class RegionField(forms.ModelChoiceField):
    """A region among those visible to the user; ``set_user`` (or ``user=``) must be given before use."""

    widget = RegionPickerWidget
    default_error_messages: ClassVar[dict[str, Any]] = {
        "invalid_choice": _("所选区域不存在，或不在您的管辖范围内。")
    }

    def __init__(self, *, user: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("区域"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("empty_label", None)
        super().__init__(queryset=Region.objects.none(), **kwargs)
        if user is not None:
            self.set_user(user)

    def set_user(self, user: Any) -> None:
        self.queryset = Region.objects.visible_to(user)
        self.widget.user = user


class RegionFilterForm(forms.Form):
    """Base for filter forms: a ``region`` field limited to the user's scope."""

    region = RegionField()

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(RegionField, self.fields["region"]).set_user(user)
