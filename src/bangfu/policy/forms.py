"""Forms of the policy screens. They only parse input; the rules live in the catalogue and the services."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.policy import dates
from bangfu.policy.catalogue import CATALOGUE, SHAPE_INPUTS, DayUnit, PolicyKey

TEXT_INPUT_CLASS = {"class": "form-control"}
MAX_DATES_PER_LIST = 120
# A range "2027-10-01~2027-10-07" (also ～ or 至), with any spaces around the separator.
_RANGE_SEPARATOR = re.compile(r"\s*(?:~|～|至)\s*")
_LIST_SEPARATOR = re.compile(r"[\s,，、;；]+")


class PolicyDateField(forms.DateField):
    """A date within 2000-01-01 … 2100-12-31 (``bangfu.policy.dates`` says why); the error names the field."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                attrs={
                    "type": "date",
                    "class": "form-control",
                    "min": dates.EARLIEST.isoformat(),
                    "max": dates.LATEST.isoformat(),
                },
                format="%Y-%m-%d",
            ),
        )
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, dt.date) and not dates.in_range(value):
            raise forms.ValidationError(
                dates.out_of_range_message(value, label=str(self.label)), code="out_of_range"
            )


class RegionDateForm(forms.Form):
    """The filter of the policy list: which region, on which date."""

    region = forms.CharField(
        label=_("区划"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={**TEXT_INPUT_CLASS, "list": "policy-regions", "inputmode": "numeric"}),
        help_text=_("区划代码或前缀，如 6109（市）、610902（县区）。"),
    )
    on = PolicyDateField(
        label=_("日期"),
        required=False,
        error_messages={"invalid": _("日期格式应为 2026-01-01。")},
    )


def deadline_choices() -> list[tuple[str, str]]:
    """The deadline keys of the catalogue, as (key, label) in catalogue order."""
    return [(spec.key, str(spec.label)) for spec in CATALOGUE if spec.is_deadline]


class DeadlineForm(forms.Form):
    """The deadline calculator: which deadline, started on which day, for which region."""

    key = forms.ChoiceField(
        label=_("期限"),
        choices=deadline_choices,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"required": _("请选择期限。"), "invalid_choice": _("请选择列表中的期限。")},
    )
    start = PolicyDateField(
        label=_("起算日期"),
        error_messages={"required": _("请填写起算日期。"), "invalid": _("起算日期格式应为 2026-01-01。")},
    )
    region = forms.CharField(
        label=_("区划"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={**TEXT_INPUT_CLASS, "list": "policy-regions", "inputmode": "numeric"}),
        help_text=_("默认为本人所在区划；期限按该区划适用的规定计算。"),
    )


def _shape_fields(spec: PolicyKey) -> dict[str, forms.Field]:
    """Inputs for the value of ``spec``; empty inputs are left to the catalogue's validator, whose message
    names the parameter."""
    unit = str(spec.unit) if spec.unit else ""
    fields: dict[str, forms.Field] = {
        "amount": forms.CharField(
            label=_("金额（元）"),
            required=False,
            widget=forms.TextInput(attrs={**TEXT_INPUT_CLASS, "inputmode": "decimal"}),
        ),
        "days": forms.CharField(
            label=_("天数"),
            required=False,
            widget=forms.TextInput(attrs={**TEXT_INPUT_CLASS, "inputmode": "numeric"}),
        ),
        "unit": forms.ChoiceField(
            label=_("计算方式"),
            required=False,
            choices=[(u.value, u.label) for u in DayUnit],
            widget=forms.Select(attrs={"class": "form-select"}),
        ),
        "number": forms.CharField(
            label=gettext("数值（%(unit)s）") % {"unit": unit} if unit else _("数值"),
            required=False,
            widget=forms.TextInput(attrs={**TEXT_INPUT_CLASS, "inputmode": "numeric"}),
        ),
        "ratio": forms.CharField(
            label=_("比例（0–1，如 0.4 表示 40%）"),
            required=False,
            widget=forms.TextInput(attrs={**TEXT_INPUT_CLASS, "inputmode": "decimal"}),
        ),
        "items": forms.CharField(
            label=_("代码表（每行一项）"),
            required=False,
            widget=forms.Textarea(attrs={**TEXT_INPUT_CLASS, "rows": 8}),
        ),
    }
    return {name: fields[name] for name in SHAPE_INPUTS[spec.shape]}


class PolicyVersionForm(forms.Form):
    """A new version of one parameter: where, from when, the value (inputs by shape) and its source."""

    region_prefix = forms.CharField(
        label=_("适用区划"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={**TEXT_INPUT_CLASS, "list": "policy-regions", "inputmode": "numeric"}),
        help_text=_("区划代码或前缀（本人管辖范围内），如 6109 表示全市、610902 表示汉滨区。"),
    )
    effective_from = PolicyDateField(
        label=_("生效日期"),
        error_messages={"required": _("请填写生效日期。"), "invalid": _("生效日期格式应为 2026-01-01。")},
        help_text=_("不能早于今天：已生效的日期不能补录，更正自录入之日起生效。"),
    )
    source_note = forms.CharField(
        label=_("依据"),
        required=False,
        widget=forms.Textarea(attrs={**TEXT_INPUT_CLASS, "rows": 3}),
        help_text=_("文件名称、文号、条款或网址；没有依据的参数不能录入。"),
    )

    def __init__(self, *args: Any, spec: PolicyKey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.fields.update(_shape_fields(spec))
        self.value_fields = list(SHAPE_INPUTS[spec.shape])
        self.order_fields(["region_prefix", "effective_from", *self.value_fields, "source_note"])

    def raw_value(self) -> Any:
        return self.spec.from_inputs(self.cleaned_data)


def parse_dates(text: str, *, label: str) -> list[dt.date]:
    """Dates typed one per line or separated by commas/spaces; "A~B" (or ～, 至) is every day from A to B.
    Raises ValidationError naming ``label`` and the bad entry."""
    dates: set[dt.date] = set()
    normalised = _RANGE_SEPARATOR.sub("~", text or "")
    for entry in (e for e in _LIST_SEPARATOR.split(normalised) if e):
        ends = entry.split("~")
        try:
            if len(ends) > 2:
                raise ValueError(entry)
            first = dt.date.fromisoformat(ends[0])
            last = dt.date.fromisoformat(ends[-1])
        except ValueError as exc:
            raise forms.ValidationError(
                gettext(
                    "“%(label)s”中的“%(entry)s”不是有效日期或日期范围"
                    "（格式：2027-01-01 或 2027-10-01~2027-10-07）。"
                )
                % {"label": label, "entry": entry}
            ) from exc
        if last < first:
            raise forms.ValidationError(
                gettext("“%(label)s”中的范围“%(entry)s”结束日期早于开始日期。")
                % {"label": label, "entry": entry}
            )
        if (last - first).days >= MAX_DATES_PER_LIST:
            raise forms.ValidationError(
                gettext("“%(label)s”中的范围“%(entry)s”过长。") % {"label": label, "entry": entry}
            )
        dates.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    if len(dates) > MAX_DATES_PER_LIST:
        raise forms.ValidationError(
            gettext("“%(label)s”最多 %(n)s 天。") % {"label": label, "n": MAX_DATES_PER_LIST}
        )
    return sorted(dates)


def format_dates(dates: list[dt.date]) -> str:
    """Dates one per line, for prefilling the entry form."""
    return "\n".join(d.isoformat() for d in sorted(dates))


class CalendarYearForm(forms.Form):
    """A year's official schedule as typed from the State Council's notice."""

    year = forms.IntegerField(
        label=_("年度"),
        widget=forms.NumberInput(attrs=TEXT_INPUT_CLASS),
        error_messages={"required": _("请填写年度。"), "invalid": _("年度必须是四位数字，如 2027。")},
    )
    holidays = forms.CharField(
        label=_("放假日期"),
        required=False,
        widget=forms.Textarea(attrs={**TEXT_INPUT_CLASS, "rows": 10}),
        help_text=_("每行一个日期或一个范围，如 2027-10-01~2027-10-07；含调休连休的周末。"),
    )
    workdays = forms.CharField(
        label=_("调休上班日期"),
        required=False,
        widget=forms.Textarea(attrs={**TEXT_INPUT_CLASS, "rows": 4}),
        help_text=_("需要上班的周六、周日，每行一个。"),
    )
    source_note = forms.CharField(
        label=_("依据"),
        required=False,
        widget=forms.Textarea(attrs={**TEXT_INPUT_CLASS, "rows": 3}),
        help_text=_("如：国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕×号），发布日期。"),
    )

    def clean_holidays(self) -> list[dt.date]:
        return parse_dates(self.cleaned_data["holidays"], label=gettext("放假日期"))

    def clean_workdays(self) -> list[dt.date]:
        return parse_dates(self.cleaned_data["workdays"], label=gettext("调休上班日期"))
