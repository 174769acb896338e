"""Forms of the case pages: one per step of the identification procedure, the lead decisions and the reports.

Each form's ``arguments()`` gives the keyword arguments of its service in ``identification`` (the pages and
the API call the same services with the same arguments); the service validates again and may refuse with a
Chinese message naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.forms import StyledForm
from bangfu.monitoring.identification import BASIC_NEEDS
from bangfu.monitoring.models import MAX_RISK_TYPES, STEPS, CaseState, Category

NEED_LABELS = {
    "food_clothing": _("不愁吃、不愁穿"),
    "education": _("义务教育有保障"),
    "medical": _("基本医疗有保障"),
    "housing": _("住房安全有保障"),
    "water": _("饮水安全有保障"),
}
# Photos from a phone are compressed in the browser; a scan of the signed pledge stays well under this.
MAX_PHOTO_BYTES = 8 * 1024 * 1024
EVIDENCE_EXTENSIONS = ["jpg", "jpeg", "png", "pdf", "doc", "docx", "xls", "xlsx"]


class StepForm(StyledForm):
    """A step done on a day (today by default, never later)."""

    on = forms.DateField(
        label=_("办理日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def __init__(self, *args: Any, risk_choices: Sequence[str] = (), **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.risk_choices = list(risk_choices)

    def arguments(self) -> dict[str, Any]:
        return {"on": self.cleaned_data["on"]}


class RiskTypesMixin(forms.Form):
    """Up to five risk types in order of weight, each picked from the code table in force."""

    def add_risk_fields(self, choices: Sequence[str], *, required: bool) -> None:
        options = [("", "—"), *((value, value) for value in choices)]
        for position in range(1, MAX_RISK_TYPES + 1):
            self.fields[f"risk_{position}"] = forms.ChoiceField(
                label=_("风险类型 %(n)d") % {"n": position},
                choices=options,
                required=required and position == 1,
                widget=forms.Select(attrs={"class": "form-select"}),
            )

    def risk_types(self) -> list[str]:
        return [
            self.cleaned_data[f"risk_{position}"]
            for position in range(1, MAX_RISK_TYPES + 1)
            if self.cleaned_data.get(f"risk_{position}")
        ]


class ApplicationForm(StepForm):
    pledge_photo = forms.ImageField(
        label=_("申请及承诺书照片"),
        required=False,
        help_text=_("签字（按手印）后的《监测对象申请及承诺授权查询书》"),
    )
    proxy_name = forms.CharField(label=_("代填人姓名"), max_length=50, required=False)
    proxy_relation = forms.CharField(
        label=_("代填人身份"),
        max_length=50,
        required=False,
        help_text=_("如村干部、网格员、近亲属；代填后须向申请人宣读"),
    )

    def clean_pledge_photo(self) -> Any:
        photo = self.cleaned_data.get("pledge_photo")
        if photo is not None and photo.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("照片不能超过8MB"))
        return photo

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().arguments(),
            "pledge_photo": data.get("pledge_photo"),
            "proxy_name": data["proxy_name"],
            "proxy_relation": data["proxy_relation"],
        }


class HomeCheckForm(RiskTypesMixin, StepForm):
    members = forms.IntegerField(label=_("家庭人口数"), min_value=1, max_value=30)
    net_income = forms.DecimalField(
        label=_("家庭纯收入（元）"),
        max_digits=12,
        decimal_places=2,
        help_text=_("按收入计算周期内的实际收支核算"),
    )
    out_of_pocket = forms.DecimalField(
        label=_("合规自付支出（元）"), max_digits=12, decimal_places=2, min_value=0, initial=0
    )
    note = forms.CharField(
        label=_("核查说明"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for need in BASIC_NEEDS:
            self.fields[f"need_{need}"] = forms.BooleanField(
                label=NEED_LABELS[need], required=False, initial=True
            )
        self.add_risk_fields(self.risk_choices, required=True)

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().arguments(),
            "members": data["members"],
            "net_income": data["net_income"],
            "out_of_pocket": data["out_of_pocket"],
            "needs_met": {need: bool(data.get(f"need_{need}")) for need in BASIC_NEEDS},
            "risk_types": self.risk_types(),
            "note": data["note"],
        }


class ComparisonForm(StepForm):
    """The comparison runs by itself; the village only starts it."""


class AppraisalForm(StepForm):
    attendees = forms.CharField(
        label=_("参会人员"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一人，如：第一书记 王某、村支书 李某、村民代表 张某"),
    )
    minutes = forms.CharField(label=_("会议记录"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().arguments(),
            "attendees": [line.strip() for line in data["attendees"].splitlines() if line.strip()],
            "minutes": data["minutes"],
        }


OBJECTION_SLOTS = 3


class NoticeForm(StepForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, OBJECTION_SLOTS + 1):
            self.fields[f"objection_{n}"] = forms.CharField(
                label=_("异议 %(n)d") % {"n": n}, max_length=500, required=False
            )
            self.fields[f"handling_{n}"] = forms.CharField(
                label=_("异议 %(n)d 处理情况") % {"n": n}, max_length=500, required=False
            )

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        objections = [
            {"content": data[f"objection_{n}"], "handling": data[f"handling_{n}"]}
            for n in range(1, OBJECTION_SLOTS + 1)
            if data.get(f"objection_{n}") or data.get(f"handling_{n}")
        ]
        return {**super().arguments(), "objections": objections}


class OpinionForm(StepForm):
    opinion = forms.CharField(
        label=_("审核意见"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def arguments(self) -> dict[str, Any]:
        return {**super().arguments(), "opinion": self.cleaned_data["opinion"]}


class ApprovalForm(RiskTypesMixin, OpinionForm):
    category = forms.ChoiceField(label=_("监测对象类别"), choices=[("", "—"), *Category.choices])
    no_labour = forms.BooleanField(label=_("整户无劳动力"), required=False)

    def __init__(self, *args: Any, initial_risks: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_risk_fields(self.risk_choices, required=True)
        for position, value in enumerate(initial_risks[:MAX_RISK_TYPES], start=1):
            self.fields[f"risk_{position}"].initial = value

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().arguments(),
            "category": data["category"],
            "risk_types": self.risk_types(),
            "no_labour": data["no_labour"],
        }


class AnnouncementForm(StepForm):
    """The result announced in the village in the town's name."""


# The form of each step's forward action (the transition's name is the service's name).
STEP_FORMS: dict[str, tuple[str, type[StepForm]]] = {
    CaseState.APPLICATION: ("sign_application", ApplicationForm),
    CaseState.HOME_CHECK: ("record_home_check", HomeCheckForm),
    CaseState.DATA_COMPARISON: ("compare_data", ComparisonForm),
    CaseState.VILLAGE_APPRAISAL: ("record_appraisal", AppraisalForm),
    CaseState.VILLAGE_NOTICE: ("close_notice", NoticeForm),
    CaseState.TOWN_REVIEW: ("town_approve", OpinionForm),
    CaseState.COUNTY_APPROVAL: ("county_approve", ApprovalForm),
    CaseState.ANNOUNCEMENT: ("announce", AnnouncementForm),
    CaseState.ELIMINATION_APPRAISAL: ("record_elimination_appraisal", AppraisalForm),
    CaseState.ELIMINATION_NOTICE: ("close_elimination_notice", NoticeForm),
    CaseState.ELIMINATION_TOWN_REVIEW: ("town_accept_elimination", OpinionForm),
    CaseState.ELIMINATION_COUNTY_APPROVAL: ("approve_elimination", OpinionForm),
}


class SendBackForm(StepForm):
    """Back to one of the earlier steps the current step may return to (``STEPS[state].returns_to``)."""

    reason = forms.CharField(label=_("退回理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, state: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        step = STEPS.get(state)
        labels = dict(CaseState.choices)
        self.fields["to"] = forms.ChoiceField(
            label=_("退回到"),
            choices=[(target, labels[target]) for target in (step.returns_to if step else ())],
            widget=forms.Select(attrs={"class": "form-select"}),
        )
        self.order_fields(["on", "to", "reason"])

    def arguments(self) -> dict[str, Any]:
        return {**super().arguments(), "to": self.cleaned_data["to"], "reason": self.cleaned_data["reason"]}


class RejectForm(StepForm):
    reason = forms.CharField(
        label=_("不予纳入理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def arguments(self) -> dict[str, Any]:
        return {**super().arguments(), "reason": self.cleaned_data["reason"]}


class CadreReportForm(RiskTypesMixin, StepForm):
    difficulty = forms.CharField(
        label=_("困难情况"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_risk_fields(self.risk_choices, required=True)

    def arguments(self) -> dict[str, Any]:
        return {
            **super().arguments(),
            "difficulty": self.cleaned_data["difficulty"],
            "risk_types": self.risk_types(),
        }


class SelfReportForm(RiskTypesMixin, StyledForm):
    """The public form (and the hotline's): what the Anhui 一码申报 asks (RULES §6.3)."""

    name = forms.CharField(label=_("申报人姓名"), max_length=50)
    phone = forms.CharField(
        label=_("手机号码"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    id_number = forms.CharField(label=_("身份证号码"), max_length=20)
    difficulty = forms.CharField(
        label=_("家庭困难情况"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, risk_choices: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_risk_fields(risk_choices, required=False)
        for name in ("risk_2", "risk_3", "risk_4", "risk_5"):
            del self.fields[name]
        self.fields["risk_1"].label = _("主要风险（可不选）")
        self.order_fields(["name", "phone", "id_number", "difficulty", "risk_1"])

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "phone": data["phone"],
            "id_number": data["id_number"],
            "difficulty": data["difficulty"],
            "risk_types": self.risk_types(),
        }


class AcceptForm(StepForm):
    household_number = forms.CharField(
        label=_("所在农户的户编号"),
        max_length=32,
        required=False,
        help_text=_("申报人不是在册成员时填写：先在农户信息中找到其所在农户"),
    )

    def arguments(self) -> dict[str, Any]:
        return super().arguments()


class DeclineForm(StyledForm):
    reason = forms.CharField(
        label=_("不予受理理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class MeasureForm(StyledForm):
    category = forms.ChoiceField(label=_("帮扶措施类别"), choices=())
    description = forms.CharField(label=_("措施内容"), max_length=200)
    responsible_unit = forms.CharField(label=_("责任单位"), max_length=100)
    responsible_person = forms.CharField(label=_("责任人"), max_length=50)
    starts_on = forms.DateField(
        label=_("开始日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    amount = forms.DecimalField(
        label=_("金额（元）"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    evidence = forms.CharField(label=_("落实情况"), max_length=500, required=False)
    evidence_file = forms.FileField(
        label=_("佐证材料"),
        required=False,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
        help_text=_("照片、PDF、Word 或 Excel，不超过8MB"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from bangfu.monitoring.models import MeasureCategory

        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)  # noqa: S101 — declared just above
        category.choices = [("", "—"), *MeasureCategory.objects.values_list("code", "name")]

    def clean_evidence_file(self) -> Any:
        upload = self.cleaned_data.get("evidence_file")
        if upload and upload.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("佐证材料不能超过8MB"))
        return upload

    def arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ContactForm(StyledForm):
    cadre = forms.ChoiceField(label=_("帮扶联系人"), choices=())

    def __init__(self, *args: Any, cadres: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cadre = self.fields["cadre"]
        assert isinstance(cadre, forms.ChoiceField)  # noqa: S101 — declared just above
        cadre.choices = [("", "—"), *cadres]


class VisitForm(StepForm):
    """A routine visit in under a minute on a phone: the checklist is ticked by default (all secured)."""

    income_change = forms.ChoiceField(
        label=_("收入变化"),
        choices=[("none", _("无明显变化")), ("up", _("增加")), ("down", _("减少"))],
        initial="none",
        widget=forms.RadioSelect,
    )
    new_risk = forms.BooleanField(label=_("发现新风险"), required=False)
    note = forms.CharField(
        label=_("走访情况"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = forms.ImageField(
        label=_("走访照片"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    latitude = forms.DecimalField(required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, widget=forms.HiddenInput)
    client_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for need in BASIC_NEEDS:
            self.fields[f"need_{need}"] = forms.BooleanField(
                label=NEED_LABELS[need], required=False, initial=True
            )
        self.fields["risk_1"] = forms.ChoiceField(
            label=_("新风险类型"),
            choices=[("", "—"), *((value, value) for value in self.risk_choices)],
            required=False,
        )
        self.order_fields(
            [
                "on",
                *(f"need_{need}" for need in BASIC_NEEDS),
                "income_change",
                "new_risk",
                "risk_1",
                "note",
                "photo",
            ]
        )

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("照片不能超过8MB"))
        return photo

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().arguments(),
            "client_id": data["client_id"],
            "needs_met": {need: bool(data.get(f"need_{need}")) for need in BASIC_NEEDS},
            "income_change": data["income_change"],
            "new_risk": data["new_risk"],
            "risk_types": [data["risk_1"]] if data.get("risk_1") else [],
            "note": data["note"],
            "photo": data.get("photo") or None,
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
        }


class EliminationForm(StepForm):
    """风险消除 proposed: by assistance with the conditions as checked at home, or natural with a reason."""

    method = forms.ChoiceField(
        label=_("风险消除方式"),
        choices=[("by_assistance", _("帮扶消除")), ("natural", _("自然消除"))],
        widget=forms.RadioSelect,
    )
    net_income_per_capita = forms.DecimalField(
        label=_("人均纯收入（元）"), max_digits=12, decimal_places=2, required=False
    )
    stable_months = forms.IntegerField(
        label=_("收入持续稳定月数"), min_value=0, max_value=120, required=False
    )
    risks_resolved = forms.BooleanField(label=_("识别时的风险已稳定消除，且无新的风险"), required=False)
    reason = forms.CharField(
        label=_("消除理由"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for need in BASIC_NEEDS:
            self.fields[f"need_{need}"] = forms.BooleanField(label=NEED_LABELS[need], required=False)
        self.order_fields(
            ["on", "method", "net_income_per_capita", "stable_months", *(f"need_{n}" for n in BASIC_NEEDS)]
        )

    def arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().arguments(),
            "method": data["method"],
            "net_income_per_capita": data.get("net_income_per_capita"),
            "stable_months": data.get("stable_months"),
            "needs_met": {need: bool(data.get(f"need_{need}")) for need in BASIC_NEEDS},
            "risks_resolved": data["risks_resolved"],
            "reason": data["reason"],
        }


class RollBackForm(StepForm):
    reason = forms.CharField(label=_("回退理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def arguments(self) -> dict[str, Any]:
        return {**super().arguments(), "reason": self.cleaned_data["reason"]}
