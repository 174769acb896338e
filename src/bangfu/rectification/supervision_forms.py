"""Forms of the supervision pages: issuing and answering an order, recording a step of the ladder.

They parse input only; the services check role, scope, dates and content again.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.forms import StyledForm
from bangfu.accounts.models import Sector
from bangfu.rectification.models import MAX_TEXT, EscalationKind

DATE_WIDGET = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
# A problem's printed number (问题编号): ZG and seven digits (more once the numbers grow).
PROBLEM_CODE = re.compile(r"ZG(\d{7,})", re.IGNORECASE)


class _DatedForm(StyledForm):
    on = forms.DateField(label=_("日期"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)


class IssueForm(_DatedForm):
    """签发: the day, and optionally a number and a reply deadline of the supervisor's own."""

    number = forms.CharField(
        label=_("督办单编号"),
        max_length=60,
        required=False,
        help_text=_("留空则按“区域+督办〔年份〕序号号”自动编号"),
    )
    reply_due_on = forms.DateField(
        label=_("回复期限"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("留空则按政策规定的督办单回复时限计算"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].label = _("签发日期")

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"on": data["on"], "number": data["number"] or None, "reply_due_on": data["reply_due_on"]}


class ReplyForm(_DatedForm):
    """督办回复: what was done about the problems, in writing."""

    reply = forms.CharField(
        label=_("回复内容"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].label = _("回复日期")

    def arguments(self) -> dict[str, Any]:
        return {"on": self.cleaned_data["on"], "reply": self.cleaned_data["reply"]}


class EscalationForm(_DatedForm):
    """通报 / 约谈 / 移交纪检 about a unit: the problems by their numbers, or all its overdue ones."""

    kind = forms.ChoiceField(label=_("类型"), choices=EscalationKind.choices)
    unit = forms.CharField(label=_("涉及单位"), max_length=100)
    unit_region_code = forms.RegexField(
        label=_("涉及单位所在区域代码"),
        regex=r"^\d{12}$",
        error_messages={"invalid": _("请填写12位区划代码")},
    )
    unit_sector = forms.ChoiceField(
        label=_("涉及行业部门"), choices=[("", _("（无）")), *Sector.choices], required=False
    )
    person = forms.CharField(
        label=_("约谈对象"), max_length=50, required=False, help_text=_("约谈时填写被约谈的负责同志")
    )
    number = forms.CharField(label=_("文号"), max_length=60, required=False, help_text=_("留空则自动编号"))
    problems = forms.CharField(
        label=_("涉及问题编号"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如 ZG0000012，多个以空格或逗号分隔；留空则为该单位在该区域的全部逾期问题"),
    )
    text = forms.CharField(label=_("内容"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5}))

    field_order = ("kind", "on", "unit", "unit_region_code", "unit_sector", "person", "number", "problems")

    def clean_problems(self) -> list[int]:
        raw = str(self.cleaned_data.get("problems") or "")
        tokens = [t for t in re.split(r"[\s,，、;；]+", raw) if t]
        ids = []
        for token in tokens:
            match = PROBLEM_CODE.fullmatch(token)
            if match is None:
                raise forms.ValidationError(_("“%(code)s”不是问题编号") % {"code": token})
            ids.append(int(match.group(1)))
        return ids
