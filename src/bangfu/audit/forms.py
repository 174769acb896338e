"""The auditor screen's filter form: every filter optional, bad input reported by field, never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.audit.models import Action, AuditEventQuerySet
from bangfu.regions.codes import CODE_LENGTH

# The dates a filter may name. No audit event predates 2000 or follows 2100; the bounds also keep the day
# arithmetic of the filter (midnight in Asia/Shanghai, the day after ``date_to``) far from the first and last
# dates Python can represent, where 0001-01-01 and 9999-12-31 used to overflow and answer 500.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
# The largest seq a 64-bit column holds: a larger cursor is not a page of this list.
MAX_SEQ = 2**63 - 1


class AuditDateField(forms.DateField):
    """A filter date within EARLIEST_DATE … LATEST_DATE; the message names the field."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, dt.date) and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError(
                gettext("“%(label)s”必须在 %(first)s 至 %(last)s 之间，收到 %(day)s。")
                % {
                    "label": self.label,
                    "first": EARLIEST_DATE.isoformat(),
                    "last": LATEST_DATE.isoformat(),
                    "day": value.isoformat(),
                },
                code="out_of_range",
            )


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("操作人账号"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("操作类型"), required=False, choices=[("", _("全部")), *Action.choices]
    )
    object_type = forms.CharField(
        label=_("对象类型"),
        required=False,
        max_length=100,
        help_text=_("如 accounts.user"),
    )
    object_id = forms.CharField(label=_("对象编号"), required=False, max_length=64)
    region = forms.RegexField(
        label=_("区划代码"),
        required=False,
        regex=rf"^\d{{1,{CODE_LENGTH}}}$",
        error_messages={"invalid": _("区划代码应为1至12位数字（可填前缀，如 610902）")},
    )
    date_from = AuditDateField(
        label=_("开始日期"),
        required=False,
        widget=forms.DateInput(
            attrs={"type": "date", "min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()}
        ),
    )
    date_to = AuditDateField(
        label=_("结束日期"),
        required=False,
        widget=forms.DateInput(
            attrs={"type": "date", "min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()}
        ),
    )
    # The keyset cursor: show events with a smaller seq than this one.
    before = forms.IntegerField(
        label=_("翻页位置"), required=False, min_value=1, max_value=MAX_SEQ, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault(
                "class", f"{css} form-control-sm" if css == "form-control" else f"{css} form-select-sm"
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return cleaned

    def apply(self, events: AuditEventQuerySet) -> AuditEventQuerySet:
        """``events`` narrowed by the valid filters (call after ``is_valid()``)."""
        data = self.cleaned_data
        return events.matching(
            username=data.get("user", "").strip(),
            action=data.get("action", ""),
            object_type=data.get("object_type", "").strip(),
            object_id=data.get("object_id", "").strip(),
            region_prefix=data.get("region", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
