"""Reading the registry: the household search, the household page with its timeline, and revealing a full ID
number or phone number (a permission and an audit event each time).

Who: the registry's readers (``access.can_read``: city HQ, county office, town, village team, inspection
group); sector departments and the three admin roles get 403. Every id from a URL goes through
``get_for_user``, so another region's household answers 404 and the probe is audited (``OutOfScope``).
Personal data is shown masked; the full value comes only from the two POST endpoints.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import CharField, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.audit import events
from bangfu.audit.models import Action, AuditEvent
from bangfu.core.htmx import HtmxHttpRequest
from bangfu.core.masking import mask_id_number, mask_phone
from bangfu.regions.models import Region
from bangfu.regions.scoping import get_for_user
from bangfu.registry import access
from bangfu.registry.models import (
    ChangeRequest,
    ChangeStatus,
    Employment,
    Household,
    HouseholdStatus,
    HouseholdType,
    HouseholdYear,
    IncomeComponent,
    IncomeLine,
    IncomeStatement,
    Indicator,
    IndicatorObservation,
    Member,
    PeriodKind,
    ProgrammeEnrolment,
    ProgrammeKind,
    Relation,
)
from bangfu.registry.search import ALL_STATUSES, ANY_INDICATOR, DEFAULT_LIMIT, QueryKind, detect_query
from bangfu.registry.search import search_households as run_search
from bangfu.registry.validation import age_on

TIMELINE_SIZE = 50


def _reader(request: HttpRequest) -> User:
    """The logged-in user if they may read the registry, else 403 (departments, 三员)."""
    user = current_user(request, required=True)
    if not access.can_read(user):
        raise PermissionDenied(_("您的角色无权查看农户信息。"))
    return user


# --- the search page ---------------------------------------------------------------------------------------


class HouseholdSearchForm(forms.Form):
    """The search box and filters (posted, or in the query string); every field is optional and a bad value
    is ignored rather than refused."""

    q = forms.CharField(label=gettext_lazy("查找"), required=False, max_length=50)
    household_type = forms.ChoiceField(
        label=gettext_lazy("户类型"),
        required=False,
        choices=[("", gettext_lazy("全部")), *HouseholdType.choices],
    )
    programme = forms.ChoiceField(
        label=gettext_lazy("正在享受"),
        required=False,
        choices=[("", gettext_lazy("不限")), *ProgrammeKind.choices],
    )
    indicator = forms.ChoiceField(
        label=gettext_lazy("三保障及饮水"),
        required=False,
        choices=[
            ("", gettext_lazy("不限")),
            (ANY_INDICATOR, gettext_lazy("任一指标有问题")),
            *Indicator.choices,
        ],
        help_text=gettext_lazy("按每项指标最近一次核查的结果。"),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[*HouseholdStatus.choices, (ALL_STATUSES, gettext_lazy("全部"))],
    )
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        q = self.fields["q"].widget
        q.input_type = "search"
        q.attrs.update(
            {
                "class": "form-control form-control-lg",
                "placeholder": _("身份证号、姓名或户编号"),
                "autocomplete": "off",
                "enterkeyhint": "search",
                # Focused on wide screens only (bangfu.js): on a phone it would open the keyboard.
                "data-autofocus-desktop": "",
            }
        )
        for name in ("household_type", "programme", "indicator", "status"):
            self.fields[name].widget.attrs["class"] = "form-select"

    def value(self, name: str) -> Any:
        """A cleaned value, or its empty default when the field was invalid."""
        cleaned = getattr(self, "cleaned_data", {})
        return cleaned.get(name) or ""


FILTER_NAMES = ("region", "household_type", "programme", "indicator", "status")
# What the box may hold that must never appear in a URL (access logs, browser history, Referer headers):
# such a search is POSTed, and the URL pushed to the history keeps the filters only.
SENSITIVE_KINDS = frozenset({QueryKind.ID_NUMBER, QueryKind.PHONE})


@require_http_methods(["GET", "POST"])
@login_required
def household_list(request: HtmxHttpRequest) -> HttpResponse:
    """Search first: one box (ID, name, household number, phone), filters, keyset pages of 50.

    The box is POSTed; a search for a name or a household number then continues as a GET with everything in
    the query string (bookmarkable, "下一页" links), while one for an ID or a phone number is answered
    directly and its pages are POSTed too, so the number stays out of every URL."""
    user = _reader(request)
    data = request.POST if request.method == "POST" else request.GET
    form = HouseholdSearchForm(data)
    valid = form.is_valid()
    q = form.value("q")
    detected = detect_query(q)
    sensitive = detected.kind in SENSITIVE_KINDS or detected.looks_like_id_number
    region = data.get("region", "")
    # The picker submits the scope root itself when nothing narrower is picked: that is no filter.
    params = _search_params(form, region="" if region in _own_region_codes(user) else region)
    public = {name: value for name, value in params.items() if name != "q" or not sensitive}
    list_url = reverse("registry:household-list")
    if request.method == "POST" and not sensitive and not request.htmx:
        return redirect(f"{list_url}?{urlencode(params)}" if params else list_url)
    after = form.cleaned_data.get("after") if valid else None
    status = params.get("status", HouseholdStatus.ACTIVE)
    page = run_search(
        user,
        q=q,
        region=params.get("region", ""),
        household_type=params.get("household_type", ""),
        programme=params.get("programme", ""),
        indicator=params.get("indicator", ""),
        status=status,
        after=after,
        limit=DEFAULT_LIMIT,
    )
    region = params.get("region", "")
    filtered = any(params.get(name) for name in FILTER_NAMES if name not in {"region", "status"}) or (
        status != HouseholdStatus.ACTIVE
    )
    context = {
        "form": form,
        "rows": page.rows,
        "next_after": page.next_after,
        "next_query": urlencode({**params, "after": page.next_after}) if page.next_after else "",
        "first_query": urlencode(params) if after is not None else "",
        "is_first_page": after is None,
        # Pages of a sensitive search are POSTed with these hidden fields instead of links.
        "sensitive": sensitive,
        "hidden_params": sorted(params.items()),
        "q": q,
        "kind": detected.kind.value,
        "looks_like_id_number": detected.looks_like_id_number,
        "region": region,
        "filtered": filtered,
        "region_filtered": bool(region),
        "retry_query": urlencode({"q": q}) if q and not sensitive else "",
        "can_import": access.can_import(user),
        "can_create": access.can_edit_directly(user) or access.can_request_changes(user),
    }
    template = "registry/household_list.html#rows" if request.htmx else "registry/household_list.html"
    response = render(request, template, context)
    if request.htmx and request.method == "POST":
        # What the address bar shows after the search: the filters, never an ID or phone number.
        response["HX-Push-Url"] = f"{list_url}?{urlencode(public)}" if public else list_url
    return response


def _search_params(form: HouseholdSearchForm, *, region: str) -> dict[str, str]:
    """The search as plain parameters (empty ones left out; the region picker's last value), in a stable
    order for URLs and hidden fields."""
    values = {
        "q": form.value("q"),
        "region": region if region.isascii() and region.isdigit() else "",
        **{name: form.value(name) for name in FILTER_NAMES if name != "region"},
    }
    return {name: str(value) for name, value in values.items() if value}


def _own_region_codes(user: User) -> set[str]:
    return {str(user.region_id)} if user.region_id else set()


# --- the household page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberView:
    member: Member
    masked_id: str
    age: int | None
    insurance: list[str]
    uninsured: bool


@dataclass
class ComponentView:
    value: str
    label: str
    total: Decimal
    lines: list[IncomeLine] = field(default_factory=list)


@dataclass(frozen=True)
class StatementView:
    statement: IncomeStatement
    title: str
    components: list[ComponentView]
    excluded: list[IncomeLine]
    other_lines: list[tuple[str, IncomeLine]]


@dataclass(frozen=True)
class IndicatorView:
    indicator: str
    label: str
    latest: IndicatorObservation
    history: list[IndicatorObservation]


COUNTED_COMPONENTS = (
    IncomeComponent.WAGES,
    IncomeComponent.BUSINESS,
    IncomeComponent.PROPERTY,
    IncomeComponent.TRANSFERS,
    IncomeComponent.BUSINESS_EXPENDITURE,
)
INSURANCE_FLAGS = (
    "resident_medical_insurance",
    "employee_medical_insurance",
    "critical_illness_insurance",
    "resident_pension",
    "employee_pension",
)
INSURANCE_SHORT = {
    "resident_medical_insurance": gettext_lazy("居民医保"),
    "employee_medical_insurance": gettext_lazy("职工医保"),
    "critical_illness_insurance": gettext_lazy("大病保险"),
    "resident_pension": gettext_lazy("居民养老"),
    "employee_pension": gettext_lazy("职工养老"),
}


@require_GET
@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything known about one household, sections without data left out, and its timeline."""
    user = _reader(request)
    household = get_for_user(Household.objects.all(), user, pk=pk)
    today = timezone.localdate()
    members = list(household.members.all())
    members.sort(key=lambda m: (m.left_on is not None, m.relation != Relation.HEAD, m.birth_date, m.pk))
    current = [_member_view(m, today) for m in members if m.left_on is None]
    former = [_member_view(m, today) for m in members if m.left_on is not None]
    statements = list(
        household.income_statements.prefetch_related("lines").order_by("-period_end", "-period_start")
    )
    observations = list(household.indicators.order_by("indicator", "-observed_on", "-pk"))
    programmes = list(household.programmes.select_related("member").order_by("-start_date", "-pk"))
    employments = list(household.employments.select_related("member").order_by("-start_date", "-pk"))
    pending = list(
        ChangeRequest.objects.visible_to(user)
        .filter(household=household, status=ChangeStatus.PENDING)
        .order_by("-submitted_at")
        .only("pk", "kind", "submitted_at")
    )
    village = Region.objects.filter(code=household.region_code).first()
    entries, next_before = timeline_page(household, before=None)
    active_programmes = [p for p in programmes if _is_active(p.start_date, p.end_date, today)]
    context = {
        "household": household,
        "village": village,
        "masked_phone": mask_phone(household.phone),
        "head": next((view.member for view in current if view.member.relation == Relation.HEAD), None),
        "members": current,
        "former_members": former,
        "statements": [_statement_view(s) for s in statements],
        "indicators": _indicator_views(observations),
        "active_programmes": active_programmes,
        "ended_programmes": [p for p in programmes if p not in active_programmes],
        "employments": employments,
        "pending_changes": pending,
        "timeline": entries,
        "timeline_next": next_before,
        "today": today,
        **_abilities(user, household),
    }
    return render(request, "registry/household_detail.html", context)


def _abilities(user: User, household: Household) -> dict[str, bool]:
    """What the page offers; the edit pages check again (they belong to registry/views/editing.py). A closed
    household takes no more edits (the services refuse them), so none is offered."""
    direct = access.can_edit_directly(user)
    requests = access.can_request_changes(user)
    active = household.status == HouseholdStatus.ACTIVE
    return {
        "can_reveal": access.can_reveal(user),
        "can_edit_household": active and access.can_record_details(user),
        "can_change_members": active and (direct or requests),
        "can_edit_income": active and (direct or requests),
        "can_add_indicator": active and access.can_record_details(user),
        "changes_need_review": active and requests and not direct,
    }


def _is_active(start: dt.date, end: dt.date | None, on: dt.date) -> bool:
    return start <= on and (end is None or end >= on)


def _member_view(member: Member, today: dt.date) -> MemberView:
    insurance = [str(INSURANCE_SHORT[name]) for name in INSURANCE_FLAGS if getattr(member, name)]
    return MemberView(
        member=member,
        masked_id=mask_id_number(member.id_number),
        age=age_on(member.birth_date, today) if member.birth_date else None,
        insurance=insurance,
        uninsured=not member.has_basic_medical_insurance,
    )


def _statement_view(statement: IncomeStatement) -> StatementView:
    start, end = statement.period_start, statement.period_end
    if statement.period_kind == PeriodKind.CALENDAR_YEAR and (start, end) == (
        dt.date(start.year, 1, 1),
        dt.date(start.year, 12, 31),
    ):
        title = _("%(year)d年度") % {"year": start.year}
    else:
        title = _("%(start)s 至 %(end)s（%(kind)s）") % {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "kind": statement.get_period_kind_display(),
        }
    components = {
        component: ComponentView(
            value=component.value, label=str(component.label), total=getattr(statement, component.value)
        )
        for component in COUNTED_COMPONENTS
    }
    excluded: list[IncomeLine] = []
    other: list[tuple[str, IncomeLine]] = []
    for line in statement.lines.all():
        if line.component in components:
            components[IncomeComponent(line.component)].lines.append(line)
        elif line.component == IncomeComponent.EXCLUDED:
            excluded.append(line)
        else:
            other.append((line.get_component_display(), line))
    return StatementView(
        statement=statement,
        title=title,
        components=list(components.values()),
        excluded=excluded,
        other_lines=other,
    )


def _indicator_views(observations: list[IndicatorObservation]) -> list[IndicatorView]:
    """Latest observation per indicator (observations come newest first per indicator), in the code table's
    order, with the older ones as history."""
    by_indicator: dict[str, list[IndicatorObservation]] = defaultdict(list)
    for observation in observations:
        by_indicator[observation.indicator].append(observation)
    labels = dict(Indicator.choices)
    order = {value: index for index, value in enumerate(Indicator.values)}
    return [
        IndicatorView(indicator=key, label=str(labels.get(key, key)), latest=rows[0], history=rows[1:])
        for key, rows in sorted(by_indicator.items(), key=lambda item: order.get(item[0], len(order)))
    ]


# --- the timeline ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: dt.datetime
    who: str
    sentence: str
    changes: list[Change]
    details: list[Change]


# The household's own rows whose audit events make up its timeline, and how each reaches the household.
TIMELINE_MODELS: tuple[tuple[type[models.Model], str], ...] = (
    (Member, "household_id"),
    (IncomeStatement, "household_id"),
    (IncomeLine, "statement__household_id"),
    (IndicatorObservation, "household_id"),
    (ProgrammeEnrolment, "household_id"),
    (Employment, "household_id"),
    (ChangeRequest, "household_id"),
    (HouseholdYear, "household_id"),
)
# Keys never worth a line in a sentence: bookkeeping, and the household link every row of it carries.
SKIPPED_KEYS = frozenset({"id", "created_at", "updated_at", "household", "household_id", "region_code"})
TIMELINE_ACTIONS = (Action.CREATE, Action.UPDATE, Action.DELETE)


def timeline_events(household: Household) -> QuerySet[AuditEvent]:
    """The create/update/delete events of the household and of its rows, newest first (one query: each
    object type is matched by ``object_id IN (ids of the household's rows)``, served by the audit trail's
    ``(object_type, object_id, seq)`` index). Reveal and security events are not part of a timeline."""
    match = Q(object_type=Household._meta.label_lower, object_id=str(household.pk))
    for model, link in TIMELINE_MODELS:
        ids = (
            model._default_manager.filter(**{link: household.pk})
            .annotate(text_id=Cast("pk", output_field=CharField()))
            .values("text_id")
        )
        match |= Q(object_type=model._meta.label_lower, object_id__in=Subquery(ids))
    return (
        AuditEvent.objects.filter(match, action__in=TIMELINE_ACTIONS).select_related("actor").order_by("-seq")
    )


def timeline_page(household: Household, *, before: int | None) -> tuple[list[TimelineEntry], int | None]:
    """One keyset page of the timeline (events older than seq ``before``) and the next cursor."""
    qs = timeline_events(household)
    if before is not None:
        qs = qs.filter(seq__lt=before)
    rows = list(qs[: TIMELINE_SIZE + 1])
    entries = [_entry(event) for event in rows[:TIMELINE_SIZE]]
    return entries, (rows[TIMELINE_SIZE - 1].seq if len(rows) > TIMELINE_SIZE else None)


@require_GET
@login_required
def household_timeline(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The timeline's next entries (htmx "更多"), or the whole timeline page without htmx."""
    user = _reader(request)
    household = get_for_user(Household.objects.all(), user, pk=pk)
    try:
        before = int(request.GET["before"]) if request.GET.get("before") else None
    except ValueError:
        before = None
    entries, next_before = timeline_page(household, before=before)
    context = {"household": household, "timeline": entries, "timeline_next": next_before}
    if request.htmx:
        return render(request, "registry/_timeline.html", context)
    context["village"] = Region.objects.filter(code=household.region_code).first()
    return render(request, "registry/household_timeline.html", context)


_TIMELINE_CLASSES: list[type[models.Model]] = [Household, *(model for model, _link in TIMELINE_MODELS)]
TIMELINE_TYPES = {model._meta.label_lower: model for model in _TIMELINE_CLASSES}


def _model_for(object_type: str) -> type[models.Model] | None:
    return TIMELINE_TYPES.get(object_type)


# Keys of an event's data that are no model field: what they hold, and the model whose fields their nested
# values are (an income statement's lines; a change request's proposed values, of a household or a member).
NESTED_KEYS: dict[str, tuple[Any, tuple[type[models.Model], ...]]] = {
    "lines": (IncomeLine._meta.verbose_name_plural, (IncomeLine,)),
    "changes": (ChangeRequest._meta.get_field("payload").verbose_name, (Household, Member, IncomeStatement)),
    "household": (Household._meta.verbose_name, (Household,)),
    "members": (Member._meta.verbose_name_plural, (Member,)),
    "warnings": (gettext_lazy("提示"), ()),
}


# Keys of a change request's proposed values that are no field of the models they concern: the field whose
# choices they take, and their label; and the keys that only link another row (a new head's id).
PAYLOAD_FIELDS: dict[str, tuple[type[models.Model], str, Any]] = {
    "reason": (Member, "left_reason", Member._meta.get_field("left_reason").verbose_name),
    "former_head_relation": (Member, "relation", gettext_lazy("原户主改为")),
}
PAYLOAD_LINKS = frozenset({"new_head"})


def _field_of(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    found: object
    try:
        found = model._meta.get_field(key)
    except FieldDoesNotExist:
        found = next((f for f in model._meta.concrete_fields if f.attname == key), None)
    return found if isinstance(found, models.Field) else None


def _in_field_order(keys: Any, candidates: tuple[type[models.Model], ...]) -> list[str]:
    """``keys`` in the order their models declare the fields (the audit trail's JSON keeps no order on
    PostgreSQL), unknown keys last."""
    order: dict[str, int] = {}
    for model in candidates:
        for concrete in model._meta.concrete_fields:
            order.setdefault(concrete.name, len(order))
            order.setdefault(concrete.attname, order[concrete.name])
    return sorted(keys, key=lambda key: (order.get(key, len(order)), key))


def _field_in(candidates: tuple[type[models.Model], ...], key: str) -> models.Field[Any, Any] | None:
    return next((f for f in (_field_of(model, key) for model in candidates) if f is not None), None)


def _display(
    model_field: models.Field[Any, Any] | None, value: Any, nested: tuple[type[models.Model], ...] = ()
) -> str:
    """A value from an event's (already masked) data as a person reads it; nested values (an income
    statement's lines, a change request's proposed values) with the labels of ``nested``'s fields."""
    if value is None or value == "":
        return _("（空）")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict):
        return "；".join(
            f"{_nested_label(nested, key)}："
            # A nested key of its own (a proposed statement's lines) is read with its own models' fields.
            f"{_display(_nested_field(nested, key), value[key], _nested_models(key, nested))}"
            for key in _in_field_order(value, nested)
            if _kept_nested(key, value[key], _field_in(nested, key)) and value[key] not in (None, "")
        )
    if isinstance(value, list):
        return "、".join(_display(None, item, nested) for item in value)
    if model_field is not None and model_field.choices and isinstance(value, str):
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.DateTimeField) and isinstance(value, str):
        return _local_time(value)
    return str(value)


def _nested_field(nested: tuple[type[models.Model], ...], key: str) -> models.Field[Any, Any] | None:
    if key in PAYLOAD_FIELDS and _field_in(nested, key) is None:
        model, name, _label_text = PAYLOAD_FIELDS[key]
        return _field_of(model, name)
    return _field_in(nested, key)


def _nested_label(nested: tuple[type[models.Model], ...], key: str) -> str:
    if key in PAYLOAD_FIELDS and _field_in(nested, key) is None:
        return str(PAYLOAD_FIELDS[key][2])
    return _label(_field_in(nested, key), key)


def _nested_models(key: str, outer: tuple[type[models.Model], ...]) -> tuple[type[models.Model], ...]:
    return NESTED_KEYS[key][1] if key in NESTED_KEYS else outer


def _local_time(value: str) -> str:
    """A timestamp from the audit trail (ISO, with its offset) as the local date and time a page shows."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def _kept_nested(key: str, value: Any, model_field: models.Field[Any, Any] | None) -> bool:
    """``_kept`` inside a nested value, where a key of ``NESTED_KEYS`` holding values (a new household's
    ``household``) is content, not the link to a row that the same key is at the top level."""
    if key in NESTED_KEYS and isinstance(value, dict | list):
        return True
    return key not in PAYLOAD_LINKS and _kept(key, model_field)


def _label(model_field: models.Field[Any, Any] | None, key: str) -> str:
    if model_field is not None:
        return str(model_field.verbose_name)
    return str(NESTED_KEYS[key][0]) if key in NESTED_KEYS else key


def _kept(key: str, model_field: models.Field[Any, Any] | None = None) -> bool:
    """Whether a key is worth a line: not bookkeeping, not a blind index, not a link to another row (a
    user's or member's id tells a reader nothing)."""
    if key in SKIPPED_KEYS or key.endswith("_index"):
        return False
    return model_field is None or not model_field.is_relation


def _line(model: type[models.Model] | None, key: str, before: Any, after: Any) -> Change:
    """One key of an event as a line: its label, and its values before and after, displayed."""
    field = _field_of(model, key)
    nested = NESTED_KEYS[key][1] if key in NESTED_KEYS else ()
    return Change(
        label=_label(field, key), before=_display(field, before, nested), after=_display(field, after, nested)
    )


def _entry(event: AuditEvent) -> TimelineEntry:
    model = _model_for(event.object_type)
    what = str(model._meta.verbose_name) if model is not None else event.object_type
    before, after = event.before, event.after
    changes: list[Change] = []
    details: list[Change] = []
    if event.action == Action.UPDATE:
        own = (model,) if model is not None else ()
        changes = [
            _line(model, key, before.get(key), after.get(key))
            for key in _in_field_order(set(before) | set(after), own)
            if _kept(key, _field_of(model, key))
        ]
    else:
        # A new or deleted row: its values worth reading (not the empty ones).
        values = after if event.action == Action.CREATE else before
        details = [
            _line(model, key, None, values[key])
            for key in _in_field_order(values, (model,) if model is not None else ())
            if _kept(key, _field_of(model, key)) and values[key] not in (None, "", False, [], {})
        ]
    return TimelineEntry(
        seq=event.seq,
        at=event.created_at,
        who=_who(event),
        sentence=_sentence(event, model=model, what=what, name=event.object_repr),
        changes=changes,
        details=details,
    )


def _who(event: AuditEvent) -> str:
    if event.actor is not None:
        return str(event.actor)
    return event.actor_username or _("系统")


def _sentence(event: AuditEvent, *, model: type[models.Model] | None, what: str, name: str) -> str:
    """What happened, in Chinese: "新增了家庭成员“王五”", "审核通过了变更申请“修改农户信息”" …"""
    if model is Household:
        target = _("本户")
    else:
        target = _("%(what)s“%(name)s”") % {"what": what, "name": name} if name else what
    if model is ChangeRequest:
        status = event.after.get("status")
        if event.action == Action.CREATE:
            return _("提交了%(target)s") % {"target": target}
        if status == ChangeStatus.APPROVED:
            return _("审核通过了%(target)s") % {"target": target}
        if status == ChangeStatus.REJECTED:
            return _("退回了%(target)s") % {"target": target}
        if status == ChangeStatus.WITHDRAWN:
            return _("撤回了%(target)s") % {"target": target}
    if event.action == Action.CREATE:
        return _("新增了%(target)s") % {"target": target}
    if event.action == Action.DELETE:
        return _("删除了%(target)s") % {"target": target}
    return _("修改了%(target)s") % {"target": target}


# --- revealing a full value --------------------------------------------------------------------------------


def _revealer(request: HttpRequest) -> User:
    user = current_user(request, required=True)
    if not access.can_reveal(user):
        raise PermissionDenied(_("您没有查看完整个人信息的权限，请联系安全管理员授权。"))
    return user


@never_cache
@require_POST
@login_required
def member_reveal(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The member's full ID number (a fragment for htmx); each reveal is an audit event."""
    user = _revealer(request)
    member = get_for_user(Member.objects.all(), user, pk=pk)
    events.revealed(actor=user, obj=member, field="id_number", request=request)
    context = {
        "value": member.id_number,
        "element_id": f"member-id-{member.pk}",
        "label": _("%(name)s的证件号码") % {"name": member.name},
        "household": member.household,
    }
    template = "registry/_household_revealed.html" if request.htmx else "registry/household_revealed.html"
    return render(request, template, context)


@never_cache
@require_POST
@login_required
def household_reveal_phone(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The household's full phone number (a fragment for htmx); each reveal is an audit event."""
    user = _revealer(request)
    household = get_for_user(Household.objects.all(), user, pk=pk)
    events.revealed(actor=user, obj=household, field="phone", request=request)
    context = {
        "value": household.phone,
        "element_id": "household-phone",
        "label": _("联系电话"),
        "household": household,
        "is_phone": True,
    }
    template = "registry/_household_revealed.html" if request.htmx else "registry/household_revealed.html"
    return render(request, template, context)
