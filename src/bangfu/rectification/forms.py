"""Forms of the problem pages: they parse input; the services decide (and the API uses the same services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.models import Sector
from bangfu.rectification.models import (
    MAX_TEXT,
    Campaign,
    Colour,
    ProblemCategory,
    ProblemSource,
    ProblemState,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several photos or PDF files at once (Django's documented multiple-upload field); checked by the
    service (``services.clean_evidence``), which the API shares."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"})
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _date(label: Any, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}), **kwargs
    )


class ProblemForm(forms.Form):
    """登记问题: the fields of a ledger row (RULES §10.2)."""

    source = forms.ChoiceField(label=_("问题来源"), choices=ProblemSource.choices)
    category = forms.ModelChoiceField(
        label=_("问题类别"), queryset=ProblemCategory.objects.filter(active=True)
    )
    region_code = forms.CharField(
        label=_("涉及区域代码"),
        max_length=12,
        help_text=_("12位区划代码（县、乡镇或村）；填写户编号时可留空，按该户所在村。"),
        required=False,
    )
    household_number = forms.CharField(label=_("涉及农户户编号"), max_length=32, required=False)
    description = forms.CharField(
        label=_("问题描述"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("问题描述和整改措施会在清零公示栏公开（身份证号、电话自动隐去），请勿填写个人隐私。"),
    )
    measure = forms.CharField(
        label=_("整改措施"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    lead_unit = forms.CharField(label=_("牵头单位"), max_length=100, required=False)
    responsible_unit = forms.CharField(label=_("责任单位"), max_length=100)
    responsible_sector = forms.ChoiceField(
        label=_("责任行业部门"), choices=[("", "—"), *Sector.choices], required=False
    )
    responsible_person = forms.CharField(label=_("责任人"), max_length=50, required=False)
    found_on = _date(_("发现日期"))
    due_on = _date(_("整改时限"))
    campaign = forms.ModelChoiceField(label=_("专项"), queryset=Campaign.objects.all(), required=False)
    fixed_on_the_spot = forms.BooleanField(label=_("已立行立改（须上传佐证材料）"), required=False)
    evidence = EvidenceField(label=_("佐证材料"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["found_on"].initial = timezone.localdate()
        for name, field in self.fields.items():
            css = "form-check-input" if name == "fixed_on_the_spot" else "form-control"
            if isinstance(field, forms.ChoiceField):
                css = "form-select"
            field.widget.attrs.setdefault("class", css)


class NoteForm(forms.Form):
    """整改进展 / 申请销号: what was done, on which day, with evidence."""

    on = _date(_("日期"))
    note = forms.CharField(label=_("说明"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = EvidenceField(label=_("佐证材料（照片或PDF）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


class VerifyForm(forms.Form):
    """验收: close (销号) or reject with the reason."""

    decision = forms.ChoiceField(
        label=_("验收结论"), choices=[("close", _("通过，销号")), ("reject", _("不通过，退回整改"))]
    )
    on = _date(_("验收日期"))
    note = forms.CharField(
        label=_("验收意见（退回时必填）"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        self.fields["decision"].widget.attrs["class"] = "form-select"
        for name in ("on", "note"):
            self.fields[name].widget.attrs["class"] = "form-control"


class ListForm(forms.Form):
    """A new problem list (问题清单) to fill and issue."""

    title = forms.CharField(label=_("清单名称"), max_length=200)
    source = forms.ChoiceField(label=_("问题来源"), choices=ProblemSource.choices)
    issuing_office = forms.CharField(label=_("交办单位"), max_length=100)
    document_number = forms.CharField(label=_("交办文号"), max_length=100, required=False)
    campaign = forms.ModelChoiceField(label=_("专项"), queryset=Campaign.objects.all(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)


class IssueForm(forms.Form):
    on = _date(_("交办日期"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        self.fields["on"].widget.attrs["class"] = "form-control"


class ProblemFilter(forms.Form):
    """The list's filters (GET); every one optional."""

    q = forms.CharField(label=_("编号或描述"), max_length=50, required=False)
    colour = forms.ChoiceField(label=_("颜色"), choices=[("", _("全部")), *Colour.choices], required=False)
    state = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部")), *ProblemState.choices], required=False
    )
    category = forms.ModelChoiceField(label=_("类别"), queryset=ProblemCategory.objects.all(), required=False)
    source = forms.ChoiceField(
        label=_("来源"), choices=[("", _("全部")), *ProblemSource.choices], required=False
    )
    region = forms.CharField(label=_("区域代码"), max_length=12, required=False)
    campaign = forms.ModelChoiceField(label=_("专项"), queryset=Campaign.objects.all(), required=False)
    after = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field, forms.ChoiceField)
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)


def today() -> dt.date:
    return timezone.localdate()
