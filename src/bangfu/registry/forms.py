"""Forms of the registry's editing, review, duplicate and import/export pages.

They parse input into the typed values the services take (dates as ``date``, amounts as ``Decimal``, choices
as the stored codes); the rules themselves live in ``bangfu.registry.validation`` and the services. A problem
the services report (``validation.Problem``) is placed beside the field it names with ``place_problems``;
warnings (``level == "warning"``) are shown the same way but do not block once the user ticks 已核实.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any, ClassVar, cast

from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from bangfu.accounts.forms import StyledForm
from bangfu.core import idnumbers
from bangfu.core.cellvalues import CellError, parse_decimal, parse_phone
from bangfu.core.masking import mask_id_number, mask_phone
from bangfu.regions.codes import Level
from bangfu.regions.forms import RegionField
from bangfu.regions.models import Region
from bangfu.registry.income import income_window
from bangfu.registry.models import (
    INDICATOR_VALUES,
    ChangeStatus,
    DisabilityGrade,
    DuplicateStatus,
    Education,
    Health,
    Household,
    HouseholdType,
    IncomeComponent,
    Indicator,
    IndicatorValue,
    LabourCapacity,
    LeftReason,
    Member,
    PeriodKind,
    PoliticalStatus,
    Relation,
    SchoolStatus,
    Sex,
)
from bangfu.registry.validation import Problem, check_indicator

# Counted lines of an income statement, one form row each; ``excluded`` items are separate rows (item named).
COUNTED_COMPONENTS: tuple[IncomeComponent, ...] = tuple(
    c for c in IncomeComponent if c != IncomeComponent.EXCLUDED
)
HOUSEHOLD_FIELDS = (
    "household_number",
    "natural_village",
    "address",
    "household_type",
    "is_exited_poor",
    "relocated",
    "resettlement_site",
    "phone",
)
MEMBER_FIELDS = (
    "name",
    "id_number",
    "sex",
    "birth_date",
    "relation",
    "ethnicity",
    "political_status",
    "education",
    "school_status",
    "health",
    "disability_grade",
    "labour_capacity",
    "skill",
    "resident_medical_insurance",
    "employee_medical_insurance",
    "critical_illness_insurance",
    "resident_pension",
    "employee_pension",
    "joined_on",
)
# How the member form is laid out: identity first (what a village change request is about), then details.
MEMBER_GROUPS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (
        _("身份信息"),
        (
            "name",
            "id_number",
            "sex",
            "birth_date",
            "relation",
            "former_head_relation",
            "ethnicity",
            "joined_on",
        ),
    ),
    (
        _("政治面貌、文化、健康和劳动能力"),
        (
            "political_status",
            "education",
            "school_status",
            "health",
            "disability_grade",
            "labour_capacity",
            "skill",
        ),
    ),
    (
        _("参保情况"),
        (
            "resident_medical_insurance",
            "employee_medical_insurance",
            "critical_illness_insurance",
            "resident_pension",
            "employee_pension",
        ),
    ),
)
# The Excel signatures of the two accepted formats: .xlsx is a zip archive, .xls an OLE2 compound file.
WORKBOOK_SIGNATURES = {".xlsx": b"PK\x03\x04", ".xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"}
NOTE_MAX = 500


def verbose(model: type[models.Model], name: str) -> Any:
    """The Chinese label of a model field (one source for form labels and the change review table)."""
    return model._meta.get_field(name).verbose_name  # type: ignore[union-attr]


def _blank(choices: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", "—"), *choices]


def date_field(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DateField:
    """A date typed with the browser's date picker (a phone shows its native one)."""
    messages = {"invalid": _("日期格式应为 2026-01-01。"), **kwargs.pop("error_messages", {})}
    return forms.DateField(
        label=label,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages=messages,
        **kwargs,
    )


class ProblemBoundField(forms.BoundField):
    """A bound field that also carries the validator's warnings and marks itself invalid for Bootstrap."""

    @property
    def warnings(self) -> list[str]:
        form = self.form
        return list(getattr(form, "field_warnings", {}).get(self.name, []))

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if self.form.is_bound and self.errors:
            attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
            attrs["aria-invalid"] = "true"
        return attrs


class RegistryForm(StyledForm):
    """Base of the editing forms: problems from the validator or a service placed beside their fields; a
    required 变更理由 when the edit becomes a change request (village teams)."""

    bound_field_class = ProblemBoundField
    # Problem.field -> form field, where the service's name differs from this form's.
    problem_aliases: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        *args: Any,
        change_request: bool = False,
        reason_help: Any = None,
        **kwargs: Any,
    ) -> None:
        """``change_request``: the user's edit may become a change request, so the form asks for a reason.
        ``reason_help`` (edits where only some fields are reviewed) makes the reason optional in the form;
        the view then requires it when a reviewed field changed (``require_reason``)."""
        super().__init__(*args, **kwargs)
        self.change_request = change_request
        self.field_warnings: dict[str, list[str]] = {}
        self.top_warnings: list[str] = []
        if change_request:
            self.fields["reason"] = forms.CharField(
                label=_("变更理由"),
                max_length=NOTE_MAX,
                required=reason_help is None,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                help_text=reason_help or _("说明为什么要修改，乡镇审核时会看到。"),
                error_messages={"required": _("请填写变更理由。")},
            )

    def require_reason(self) -> bool:
        """For an edit that turned out to need review: the reason must be there. False (with the error
        placed) when it is missing."""
        if self.change_reason:
            return True
        self.add_error("reason" if "reason" in self.fields else None, gettext("请填写变更理由。"))
        return False

    def field_for(self, problem: Problem) -> str | None:
        name = self.problem_aliases.get(problem.field, problem.field)
        return name if name in self.fields else None

    def place_problems(self, problems: Iterable[Problem]) -> None:
        """Errors become form errors beside their field (or at the top); warnings are kept for display."""
        for problem in problems:
            name = self.field_for(problem)
            if problem.level == "warning":
                if name is None:
                    self.top_warnings.append(problem.message)
                else:
                    self.field_warnings.setdefault(name, []).append(problem.message)
            else:
                self.add_error(name, problem.message)

    @property
    def has_warnings(self) -> bool:
        return bool(self.field_warnings or self.top_warnings)

    @property
    def change_reason(self) -> str:
        """The 变更理由 typed (empty when the form has none)."""
        return str(getattr(self, "cleaned_data", {}).get("reason", "")).strip()


# --- households ---------------------------------------------------------------------------------------------


class HouseholdForm(RegistryForm):
    household_number = forms.CharField(
        label=verbose(Household, "household_number"),
        required=False,
        max_length=32,
        help_text=_("全国防止返贫监测信息系统中的户编号，没有可不填。"),
    )
    natural_village = forms.CharField(
        label=verbose(Household, "natural_village"), required=False, max_length=50
    )
    address = forms.CharField(label=verbose(Household, "address"), required=False, max_length=200)
    household_type = forms.ChoiceField(
        label=verbose(Household, "household_type"), choices=HouseholdType.choices
    )
    is_exited_poor = forms.BooleanField(label=verbose(Household, "is_exited_poor"), required=False)
    relocated = forms.BooleanField(label=verbose(Household, "relocated"), required=False)
    resettlement_site = forms.CharField(
        label=verbose(Household, "resettlement_site"), required=False, max_length=100
    )
    phone = forms.CharField(
        label=verbose(Household, "phone"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("手机号码或带区号的固定电话，如 0915-1234567。"),
    )

    # Ticking it accepts the validator's warnings (a relocated household without its site …).
    confirmed = forms.BooleanField(label=_("已核实以上提示，确认无误"), required=False)

    def clean_household_number(self) -> str:
        return "".join(str(self.cleaned_data["household_number"]).split())

    def clean_phone(self) -> str:
        try:
            return parse_phone(self.cleaned_data["phone"]) or ""
        except CellError as exc:
            raise forms.ValidationError(str(exc), code="phone") from exc

    def household_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in HOUSEHOLD_FIELDS if name in self.cleaned_data}

    def value_fields(self) -> list[forms.BoundField]:
        """The household's own fields (not the 已核实 box or the reason), for the template."""
        return [self[name] for name in ("region", *HOUSEHOLD_FIELDS) if name in self.fields]


class HouseholdCreateForm(HouseholdForm):
    """A new household: its village (within the user's scope) and its attributes; the head comes from a
    ``MemberForm`` beside it."""

    region = RegionField(label=_("所在村"), required=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(RegionField, self.fields["region"]).set_user(user)
        self.order_fields(["region", *HOUSEHOLD_FIELDS])

    def clean_region(self) -> Region:
        region = self.cleaned_data.get("region")
        if not isinstance(region, Region) or region.level != Level.VILLAGE:
            raise forms.ValidationError(gettext("请选择到村一级。"), code="village")
        return region

    def household_values(self) -> dict[str, Any]:
        values = super().household_values()
        values["region_code"] = self.cleaned_data["region"].code
        return values


# --- members ------------------------------------------------------------------------------------------------


class MemberForm(RegistryForm):
    """One member's own values. ``head=True`` (the head of a new household) fixes the relation to 户主.

    Sex and birth date may be left empty when the ID number is given: they are read from it.
    """

    name = forms.CharField(label=verbose(Member, "name"), max_length=50)
    id_number = forms.CharField(
        label=verbose(Member, "id_number"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("18位居民身份证号码；性别和出生日期可由号码自动填写。"),
    )
    sex = forms.ChoiceField(label=verbose(Member, "sex"), choices=_blank(Sex.choices), required=False)
    birth_date = date_field(verbose(Member, "birth_date"), required=False)
    relation = forms.ChoiceField(label=verbose(Member, "relation"), choices=Relation.choices)
    ethnicity = forms.CharField(label=verbose(Member, "ethnicity"), max_length=20, initial="汉族")
    political_status = forms.ChoiceField(
        label=verbose(Member, "political_status"), choices=PoliticalStatus.choices
    )
    education = forms.ChoiceField(
        label=verbose(Member, "education"), choices=_blank(Education.choices), required=False
    )
    school_status = forms.ChoiceField(label=verbose(Member, "school_status"), choices=SchoolStatus.choices)
    health = forms.ChoiceField(label=verbose(Member, "health"), choices=Health.choices)
    disability_grade = forms.ChoiceField(
        label=verbose(Member, "disability_grade"), choices=_blank(DisabilityGrade.choices), required=False
    )
    labour_capacity = forms.ChoiceField(
        label=verbose(Member, "labour_capacity"),
        choices=LabourCapacity.choices,
        initial=LabourCapacity.ORDINARY,
    )
    skill = forms.CharField(label=verbose(Member, "skill"), max_length=50, required=False)
    resident_medical_insurance = forms.BooleanField(
        label=verbose(Member, "resident_medical_insurance"), required=False
    )
    employee_medical_insurance = forms.BooleanField(
        label=verbose(Member, "employee_medical_insurance"), required=False
    )
    critical_illness_insurance = forms.BooleanField(
        label=verbose(Member, "critical_illness_insurance"), required=False
    )
    resident_pension = forms.BooleanField(label=verbose(Member, "resident_pension"), required=False)
    employee_pension = forms.BooleanField(label=verbose(Member, "employee_pension"), required=False)
    joined_on = date_field(verbose(Member, "joined_on"), required=False)
    # Ticking it accepts the validator's warnings (an ID issued in another city …); shown only with them.
    confirmed = forms.BooleanField(label=_("已核实以上提示，确认无误"), required=False)

    def __init__(
        self, *args: Any, head: bool = False, on: dt.date, former_head: Member | None = None, **kwargs: Any
    ) -> None:
        """``former_head``: when editing a member of a household that has another head, making this member
        the head needs that head's new relation (asked for here, applied in the same save)."""
        super().__init__(*args, **kwargs)
        self.head = head
        self.on = on
        self.former_head = former_head
        if head:
            del self.fields["relation"]
        if former_head is not None:
            self.fields["former_head_relation"] = forms.ChoiceField(
                label=gettext("原户主%(name)s改为") % {"name": former_head.name},
                choices=_blank((v, label) for v, label in Relation.choices if v != Relation.HEAD),
                required=False,
                help_text=_("仅在把本成员改为户主时填写。"),
                widget=forms.Select(attrs={"class": "form-select"}),
            )
        # The confirmation box comes last, right above the reason and the save button.
        self.order_fields(
            [*(f for f in MEMBER_FIELDS if f in self.fields), "former_head_relation", "confirmed", "reason"]
        )

    def clean_id_number(self) -> str:
        return idnumbers.normalize(str(self.cleaned_data["id_number"]))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        number = cleaned.get("id_number") or ""
        parsed: idnumbers.IdNumber | None = None
        if number:
            try:
                parsed = idnumbers.parse(number, on=self.on)
            except idnumbers.InvalidIdNumber as exc:
                # The number is the mistake; sex and birth date could not be read from it, so they are not
                # reported as missing on top of it.
                self.add_error("id_number", str(exc))
                return cleaned
        if not cleaned.get("sex") and "sex" not in self.errors:
            if parsed is not None:
                cleaned["sex"] = parsed.sex
            else:
                self.add_error("sex", gettext("请选择性别。"))
        if cleaned.get("birth_date") is None and "birth_date" not in self.errors:
            if parsed is not None:
                cleaned["birth_date"] = parsed.birth_date
            else:
                self.add_error("birth_date", gettext("请填写出生日期。"))
        if self.head:
            cleaned["relation"] = Relation.HEAD
        if (
            self.former_head is not None
            and cleaned.get("relation") == Relation.HEAD
            and not cleaned.get("former_head_relation")
        ):
            self.add_error(
                "former_head_relation",
                gettext("该户已有户主%(name)s，请选择其改为的与户主关系。") % {"name": self.former_head.name},
            )
        return cleaned

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The fields in their sections (``MEMBER_GROUPS``), for the template."""
        return [(title, [self[n] for n in names if n in self.fields]) for title, names in MEMBER_GROUPS]

    @property
    def former_head_relation(self) -> str:
        """The former head's new relation, when this member becomes the head (else "")."""
        if self.cleaned_data.get("relation") != Relation.HEAD:
            return ""
        return str(self.cleaned_data.get("former_head_relation") or "")

    def member_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in MEMBER_FIELDS if name in self.cleaned_data}


def member_initial(member: Member) -> dict[str, Any]:
    """The form's starting values: the member as stored."""
    return {name: getattr(member, name) for name in MEMBER_FIELDS}


def household_initial(household: Household) -> dict[str, Any]:
    return {name: getattr(household, name) for name in HOUSEHOLD_FIELDS}


def changed_values(values: Mapping[str, Any], initial: Mapping[str, Any]) -> dict[str, Any]:
    """Only what the user changed (after normalising), so that a change request lists exactly that."""
    return {name: value for name, value in values.items() if value != initial.get(name)}


# Personal data is never written back into an edit form: the page would show the full number to a user
# without the reveal grant, and unaudited. The field starts empty with the masked value as its placeholder;
# left empty, the stored value is kept (``keep_personal``).
PERSONAL_FIELDS = {"id_number": mask_id_number, "phone": mask_phone}


def hide_personal(form: forms.Form, stored: Mapping[str, Any]) -> None:
    """Empty the personal fields of an edit ``form`` that have a ``stored`` value, masked as placeholder."""
    for name, mask in PERSONAL_FIELDS.items():
        if name in form.fields and stored.get(name):
            masked = mask(str(stored[name]))
            # A copy: the caller keeps comparing the user's values with the stored ones in ``stored``.
            form.initial = {**form.initial, name: ""}
            form.fields[name].widget.attrs["placeholder"] = masked
            form.fields[name].help_text = gettext("已登记 %(masked)s；不修改请留空。") % {"masked": masked}


def keep_personal(values: Mapping[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` of a form prepared by ``hide_personal``: an empty personal field keeps its stored value."""
    kept = {name: stored[name] for name in PERSONAL_FIELDS if name in values and not values[name]}
    return {**values, **{name: value for name, value in kept.items() if value}}


class MemberLeaveForm(RegistryForm):
    """A member leaves the household (composition change): the day and why."""

    left_on = date_field(verbose(Member, "left_on"), error_messages={"required": _("请填写离户日期。")})
    left_reason = forms.ChoiceField(
        label=verbose(Member, "left_reason"),
        choices=_blank(LeftReason.choices),
        error_messages={"required": _("请选择离户原因。")},
    )
    problem_aliases: ClassVar[dict[str, str]] = {"reason": "left_reason"}

    def __init__(self, *args: Any, remaining: Iterable[Member] = (), **kwargs: Any) -> None:
        """``remaining``: when the head leaves, the other current members, one of whom becomes the head."""
        super().__init__(*args, **kwargs)
        choices = [(str(m.pk), m.name) for m in remaining]
        if choices:
            self.fields["new_head"] = forms.ChoiceField(
                label=_("新户主"),
                choices=_blank(choices),
                help_text=_("户主离户后，由本户的这名成员担任户主。"),
                error_messages={"required": _("户主离户时须指定新户主。")},
                widget=forms.Select(attrs={"class": "form-select"}),
            )
            self.order_fields(["left_on", "left_reason", "new_head", "reason"])


# --- income -------------------------------------------------------------------------------------------------


def _amount(value: Any, *, label: str) -> Decimal | None:
    try:
        return parse_decimal(value, places=2, minimum=Decimal(0))
    except CellError as exc:
        raise forms.ValidationError(f"{label}：{exc}", code="amount") from exc


class ExcludedItemForm(StyledForm):
    """One item not counted as income (危房改造补助, 慰问金 …): recorded for the record, never summed."""

    item = forms.CharField(label=_("项目"), max_length=50, required=False)
    amount = forms.CharField(
        label=_("金额（元）"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def clean_amount(self) -> Decimal | None:
        return _amount(self.cleaned_data["amount"], label=gettext("金额"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("amount") is not None and not cleaned.get("item"):
            self.add_error("item", gettext("请填写项目名称。"))
        if cleaned.get("item") and cleaned.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", gettext("请填写金额。"))
        return cleaned


ExcludedItemFormSet = forms.formset_factory(ExcludedItemForm, extra=2, max_num=50, validate_max=True)


def calendar_years(on: dt.date) -> list[tuple[int, str]]:
    """The years a statement may be entered for: the current one and the five before it, newest first."""
    return [(year, gettext("%(year)d年") % {"year": year}) for year in range(on.year, on.year - 6, -1)]


class IncomeForm(RegistryForm):
    """An income statement: the period (a calendar year, or the 12 months before an identification date)
    and one row per counted component; excluded items come from an ``ExcludedItemFormSet``."""

    problem_aliases: ClassVar[dict[str, str]] = {
        "period_start": "period_kind",
        "period_end": "period_kind",
        **{c.value: f"amount_{c.value}" for c in COUNTED_COMPONENTS},
    }

    period_kind = forms.ChoiceField(
        label=_("统计口径"),
        choices=PeriodKind.choices,
        widget=forms.Select(attrs={"data-period-kind": ""}),
    )
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, choices=(), required=False)
    identified_on = date_field(
        _("认定日期"),
        required=False,
        help_text=_("收入按认定日期前一个月往前推12个月计算。"),
    )
    household_size = forms.IntegerField(
        label=_("家庭人口数"),
        required=False,
        min_value=1,
        max_value=99,
        help_text=_("不填则按当前在户成员人数计算。"),
    )

    def __init__(self, *args: Any, on: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on = on
        cast(forms.TypedChoiceField, self.fields["year"]).choices = calendar_years(on)
        for component in COUNTED_COMPONENTS:
            self.fields[f"amount_{component.value}"] = forms.CharField(
                label=component.label,
                max_length=20,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "form-control"}),
            )
            self.fields[f"note_{component.value}"] = forms.CharField(
                label=gettext("%(component)s说明") % {"component": component.label},
                max_length=200,
                required=False,
                widget=forms.TextInput(
                    attrs={"class": "form-control", "placeholder": gettext("说明（可不填）")}
                ),
            )
        self.order_fields(["period_kind", "year", "identified_on", "household_size"])

    @property
    def component_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"amount_{c.value}"], self[f"note_{c.value}"]) for c in COUNTED_COMPONENTS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for component in COUNTED_COMPONENTS:
            name = f"amount_{component.value}"
            if name in self.errors:
                continue
            try:
                cleaned[name] = _amount(cleaned.get(name), label=str(component.label))
            except forms.ValidationError as exc:
                self.add_error(name, exc)
        kind = cleaned.get("period_kind")
        if kind == PeriodKind.CALENDAR_YEAR and not cleaned.get("year"):
            self.add_error("year", gettext("请选择年度。"))
        if kind == PeriodKind.TWELVE_MONTHS:
            identified = cleaned.get("identified_on")
            if identified is None and "identified_on" not in self.errors:
                self.add_error("identified_on", gettext("请填写认定日期。"))
            elif identified is not None and identified > self.on:
                self.add_error("identified_on", gettext("认定日期不能晚于今天。"))
        return cleaned

    def period(self) -> tuple[dt.date, dt.date]:
        if self.cleaned_data["period_kind"] == PeriodKind.CALENDAR_YEAR:
            year = int(self.cleaned_data["year"])
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        return income_window(on=self.cleaned_data["identified_on"], kind=PeriodKind.TWELVE_MONTHS)

    def lines(self, excluded: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The statement's lines: one per counted component with an amount, then the excluded items."""
        lines: list[dict[str, Any]] = []
        for component in COUNTED_COMPONENTS:
            amount = self.cleaned_data.get(f"amount_{component.value}")
            if amount is None:
                continue
            lines.append(
                {
                    "component": component.value,
                    "item": "",
                    "amount": amount,
                    "note": self.cleaned_data.get(f"note_{component.value}", ""),
                }
            )
        for row in excluded:
            if row.get("item") and row.get("amount") is not None:
                lines.append(
                    {
                        "component": IncomeComponent.EXCLUDED.value,
                        "item": row["item"],
                        "amount": row["amount"],
                        "note": row.get("note", ""),
                    }
                )
        return lines


# --- indicators ---------------------------------------------------------------------------------------------


class IndicatorValueSelect(forms.Select):
    """Each value option names the indicators it applies to (``data-indicators``), so registry-forms.js
    offers only the housing grades A–D for 住房 and 达标/不达标 for the others; the server checks again."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        applies = sorted(str(i) for i, allowed in INDICATOR_VALUES.items() if option["value"] in allowed)
        option["attrs"]["data-indicators"] = " ".join(applies)
        return option


class IndicatorForm(RegistryForm):
    indicator = forms.ChoiceField(
        label=_("指标"),
        choices=_blank(Indicator.choices),
        widget=forms.Select(attrs={"data-indicator-select": ""}),
        error_messages={"required": _("请选择指标。")},
    )
    value = forms.ChoiceField(
        label=_("结果"),
        choices=_blank(IndicatorValue.choices),
        widget=IndicatorValueSelect(attrs={"data-indicator-values": ""}),
        error_messages={"required": _("请选择结果。")},
    )
    observed_on = date_field(_("核查日期"), error_messages={"required": _("请填写核查日期。")})
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, on: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on = on

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        indicator, value = cleaned.get("indicator"), cleaned.get("value")
        if indicator and value:
            self.place_problems(check_indicator(indicator, value))
        observed = cleaned.get("observed_on")
        if observed is not None and observed > self.on:
            self.add_error("observed_on", gettext("核查日期不能晚于今天。"))
        return cleaned


# --- change review, duplicates ------------------------------------------------------------------------------


class ApproveForm(StyledForm):
    note = forms.CharField(
        label=_("审核意见（可不填）"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(StyledForm):
    note = forms.CharField(
        label=_("退回理由"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("退回时必须填写理由。")},
    )


class ChangeFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), *ChangeStatus.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class DuplicateResolveForm(StyledForm):
    status = forms.ChoiceField(
        label=_("核实结果"),
        choices=[
            (DuplicateStatus.NOT_DUPLICATE.value, DuplicateStatus.NOT_DUPLICATE.label),
            (DuplicateStatus.SAME_PERSON.value, DuplicateStatus.SAME_PERSON.label),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择核实结果。")},
    )
    note = forms.CharField(
        label=_("核实说明"),
        max_length=NOTE_MAX,
        help_text=_("如：已入户核实，两人身份证号码不同，为同名同生日的两个人。"),
        error_messages={"required": _("请填写核实说明。")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # StyledForm gives selects "form-select"; radio buttons take Bootstrap's check classes instead.
        self.fields["status"].widget.attrs["class"] = "form-check-input"


# --- import and export --------------------------------------------------------------------------------------


def import_max_bytes() -> int:
    return int(settings.BANGFU_IMPORT_MAX_MB) * 1024 * 1024


class ImportUploadForm(StyledForm):
    file = forms.FileField(
        label=_("农户信息工作簿"),
        error_messages={"required": _("请选择要上传的文件。"), "empty": _("上传的文件是空的。")},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,.xls,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
    dry_run = forms.BooleanField(
        label=_("仅校验，不写入（试导入）"),
        required=False,
        help_text=_("先试导入可以看到全部问题，确认无误后再正式导入。"),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        suffix = PurePath(upload.name or "").suffix.lower()
        if suffix not in WORKBOOK_SIGNATURES:
            raise forms.ValidationError(
                gettext("只能上传 Excel 工作簿（.xlsx 或 .xls），“%(name)s”不是。") % {"name": upload.name},
                code="type",
            )
        limit = int(settings.BANGFU_IMPORT_MAX_MB)
        if upload.size > import_max_bytes():
            raise forms.ValidationError(
                gettext("文件超过 %(limit)d MB，请按乡镇拆分后分别上传。") % {"limit": limit}, code="size"
            )
        upload.seek(0)
        head = upload.read(8)
        upload.seek(0)
        if not head.startswith(WORKBOOK_SIGNATURES[suffix]):
            raise forms.ValidationError(
                gettext("“%(name)s”的内容不是 Excel 工作簿，请用 Excel 或 WPS 另存为 .xlsx 后再上传。")
                % {"name": upload.name},
                code="content",
            )
        return upload


class ExportForm(StyledForm):
    region = RegionField(label=_("导出范围"), required=True)
    reveal = forms.BooleanField(
        label=_("完整证件号码"),
        required=False,
        help_text=_("导出完整的身份证号码和电话号码；导出记入审计日志，文件须妥善保管。"),
    )

    def __init__(self, *args: Any, user: Any, may_reveal: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(RegionField, self.fields["region"]).set_user(user)
        if not may_reveal:
            del self.fields["reveal"]
