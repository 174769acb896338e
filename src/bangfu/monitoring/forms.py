"""The rule form (city headquarters): a new rule or a new version of one, its condition written as JSON in
the vocabulary of ``rules`` — checked by the same service as ``bangfu add-rule``."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.forms import StyledForm
from bangfu.monitoring.models import SOURCE_CHOICES


class RuleForm(StyledForm):
    code = forms.CharField(label=_("规则编码"), max_length=32)
    name = forms.CharField(label=_("规则名称"), max_length=100)
    source = forms.ChoiceField(label=_("数据来源"), choices=SOURCE_CHOICES)
    risk_type = forms.CharField(label=_("风险类型"), max_length=32)
    condition = forms.CharField(
        label=_("条件"),
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
        help_text=_('JSON 列表，例如 [{"field": "amount", "op": "gt", "value": {"policy": "…"}}]'),
    )
    window_days = forms.IntegerField(label=_("回溯天数"), min_value=1, max_value=3660, initial=365)
    region_prefix = forms.CharField(label=_("适用范围"), max_length=12, required=False)
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    enabled = forms.BooleanField(label=_("启用"), required=False, initial=True)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_condition(self) -> Any:
        try:
            return json.loads(self.cleaned_data["condition"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("条件不是有效的 JSON：%(error)s") % {"error": exc.msg}) from exc
