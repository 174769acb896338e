"""Screens of the policy app: values in force, version history, new versions, official calendar years and
the deadline calculator."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.core.htmx import HtmxHttpRequest
from bangfu.core.workdays import (
    PACKAGE_FIRST_YEAR,
    PACKAGE_LAST_YEAR,
    DateOutOfRange,
    package_knows,
    package_schedule,
)
from bangfu.policy import access, catalogue, services
from bangfu.policy.deadlines import due_date
from bangfu.policy.exceptions import InvalidRegion, PolicyNotSet, UnknownPolicyKey
from bangfu.policy.forms import (
    CalendarYearForm,
    DeadlineForm,
    PolicyVersionForm,
    RegionDateForm,
    deadline_choices,
    format_dates,
)
from bangfu.policy.models import OfficialCalendarYear, PolicyValue, enclosing_prefixes
from bangfu.policy.resolution import normalize_region, version_in_force, versions_in_force
from bangfu.regions.codes import full_code
from bangfu.regions.models import Region


def _spec_or_404(key: str) -> catalogue.PolicyKey:
    try:
        return catalogue.get(key)
    except UnknownPolicyKey as exc:
        raise Http404(exc.message) from exc


def _own_prefix(user: User) -> str:
    prefixes: list[str] = user.scope_prefixes()
    return prefixes[0] if prefixes else ""


def _region_choices(user: User) -> list[Region]:
    """The user's region and the regions right below it, offered as suggestions in region inputs."""
    if user.region_id is None:
        return []
    return list(Region.objects.filter(code=user.region_id)) + list(
        Region.objects.filter(parent_id=user.region_id).order_by("code")
    )


def _region_names(prefixes: set[str]) -> dict[str, str]:
    """Names of the regions behind ``prefixes``, one query ("" is everywhere)."""
    codes = {full_code(p): p for p in prefixes if p}
    names = {codes[r.code]: r.name for r in Region.objects.filter(code__in=list(codes))}
    names[""] = _("全国")
    return names


@login_required
def policy_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every parameter of the catalogue with the value in force for a region (default: the user's own) on a
    date (default: today)."""
    user = current_user(request, required=True)
    if not access.can_read_policy(user):
        raise PermissionDenied
    today = timezone.localdate()
    prefix, on = _own_prefix(user), today
    form = RegionDateForm(request.GET or None, initial={"region": prefix, "on": today})
    if form.is_bound:
        # Each input is used when it is valid by itself: a mistyped date does not discard a good region.
        form.is_valid()
        on = form.cleaned_data.get("on") or today
        try:
            chosen = normalize_region(form.cleaned_data.get("region") or prefix)
        except InvalidRegion as exc:
            form.add_error("region", exc.message)
        else:
            if access.region_readable(user, chosen):
                prefix = chosen
            else:
                form.add_error("region", _("区划“%(p)s”不在您的管辖范围内。") % {"p": chosen})
    rows = versions_in_force([spec.key for spec in catalogue.CATALOGUE], region=prefix, on=on)
    names = _region_names({row.region_prefix for row in rows.values()} | set(enclosing_prefixes(prefix)))
    entries = [
        {
            "spec": spec,
            "row": rows.get(spec.key),
            "display": spec.display(rows[spec.key].value) if spec.key in rows else "",
            "region_name": names.get(rows[spec.key].region_prefix, "") if spec.key in rows else "",
        }
        for spec in catalogue.CATALOGUE
    ]
    context = {
        "form": form,
        "entries": entries,
        "prefix": prefix,
        "region_name": names.get(prefix, prefix),
        "on": on,
        "can_edit": access.can_edit_policy(user),
        "region_choices": _region_choices(user),
    }
    template = "policy/policy_list.html#table" if request.htmx else "policy/policy_list.html"
    return render(request, template, context)


@login_required
def policy_history(request: HttpRequest, key: str) -> HttpResponse:
    """Every version of one parameter relevant to the user's scope, newest first per region, with the one in
    force for the user's own region today marked."""
    user = current_user(request, required=True)
    if not access.can_read_policy(user):
        raise PermissionDenied
    spec = _spec_or_404(key)
    versions = list(
        PolicyValue.objects.filter(key=key)
        .relevant_to(user.scope_prefixes())
        .select_related("created_by")
        .order_by("region_prefix", "-effective_from")
    )
    today = timezone.localdate()
    current = versions_in_force([key], region=_own_prefix(user), on=today).get(key)
    names = _region_names({v.region_prefix for v in versions})
    context = {
        "spec": spec,
        "versions": [
            {
                "row": v,
                "display": spec.display(v.value),
                "region_name": names.get(v.region_prefix, v.region_prefix),
            }
            for v in versions
        ],
        "current_id": current.pk if current else None,
        "today": today,
        "can_edit": access.can_edit_policy(user),
    }
    return render(request, "policy/policy_history.html", context)


@login_required
def policy_version_new(request: HttpRequest, key: str) -> HttpResponse:
    """Add a version of one parameter (市指挥部 only). The form starts from the value in force for the user's
    region today."""
    user = current_user(request, required=True)
    spec = _spec_or_404(key)
    if not access.can_edit_policy(user):
        raise PermissionDenied
    today = timezone.localdate()
    if request.method == "POST":
        form = PolicyVersionForm(request.POST, spec=spec)
        if form.is_valid():
            try:
                services.add_policy_version(
                    key=key,
                    region_prefix=form.cleaned_data["region_prefix"],
                    effective_from=form.cleaned_data["effective_from"],
                    value=form.raw_value(),
                    source_note=form.cleaned_data["source_note"],
                    by=user,
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("已录入“%(label)s”的新版本。") % {"label": spec.label})
                return redirect("policy:history", key=key)
    else:
        initial: dict[str, Any] = {"region_prefix": _own_prefix(user), "effective_from": today}
        # Nothing in force yet: the form starts empty.
        with contextlib.suppress(PolicyNotSet):
            initial.update(spec.form_initial(version_in_force(key, region=_own_prefix(user), on=today).value))
        form = PolicyVersionForm(initial=initial, spec=spec)
    context = {"spec": spec, "form": form, "region_choices": _region_choices(user)}
    return render(request, "policy/policy_version_form.html", context)


# --- official calendar years ---------------------------------------------------------------------------


@login_required
def calendar_list(request: HtmxHttpRequest) -> HttpResponse:
    """The years around today with where their working days come from, every entered version, and the
    deadline calculator (htmx asks for its result alone)."""
    user = current_user(request, required=True)
    if not access.can_read_calendar(user):
        raise PermissionDenied
    today = timezone.localdate()
    calculator = _deadline_calculator(request, user, today=today)
    if request.htmx and calculator["deadline_form"].is_bound:
        return render(request, "policy/calendar_list.html#deadline-result", calculator)
    latest = {row.year: row for row in OfficialCalendarYear.objects.latest_versions()}
    years = sorted(set(range(today.year - 1, today.year + 3)) | set(latest), reverse=True)
    statuses = [
        {
            "year": year,
            "entered": latest.get(year),
            "packaged": package_knows(year),
            "provisional": year not in latest and not package_knows(year),
        }
        for year in years
    ]
    context = {
        "statuses": statuses,
        "package_first": PACKAGE_FIRST_YEAR,
        "package_last": PACKAGE_LAST_YEAR,
        "can_enter": access.can_enter_calendar(user),
        "region_choices": _region_choices(user),
        **calculator,
    }
    return render(request, "policy/calendar_list.html", context)


def _deadline_calculator(request: HttpRequest, user: User, *, today: dt.date) -> dict[str, Any]:
    """The calculator's form and, when it was submitted and is valid, the due date (``policy/_deadline.html``
    shows it with the 暂定 mark when provisional). The region defaults to the user's own."""
    own = _own_prefix(user)
    submitted = "key" in request.GET
    form = DeadlineForm(
        request.GET if submitted else None,
        initial={"key": deadline_choices()[0][0], "start": today, "region": own},
    )
    result: dict[str, Any] = {"deadline_form": form, "deadline": None, "deadline_where": ""}
    if not submitted or not form.is_valid():
        return result
    try:
        prefix = normalize_region(form.cleaned_data["region"] or own)
    except InvalidRegion as exc:
        form.add_error("region", exc.message)
        return result
    if not access.deadline_region_allowed(user, prefix):
        form.add_error("region", _("区划“%(p)s”不在您的管辖范围内。") % {"p": prefix})
        return result
    key, start = form.cleaned_data["key"], form.cleaned_data["start"]
    try:
        deadline = due_date(key=key, start=start, region=prefix)
    except PolicyNotSet as exc:
        form.add_error("key", exc.message)
        return result
    except DateOutOfRange as exc:
        form.add_error("start", exc.message)
        return result
    name = _region_names({prefix}).get(prefix, prefix)
    result.update(
        deadline=deadline,
        deadline_label=catalogue.get(key).label,
        deadline_where=f"{name}（{prefix}）" if prefix else name,
    )
    return result


@login_required
def calendar_year(request: HttpRequest, year: int) -> HttpResponse:
    """One year: the dates in force (entered version or package) and the history of entered versions."""
    user = current_user(request, required=True)
    if not access.can_read_calendar(user):
        raise PermissionDenied
    versions = list(
        OfficialCalendarYear.objects.filter(year=year).select_related("entered_by").order_by("-version")
    )
    if versions:
        current = versions[0].as_schedule()
        source = _("已录入第 %(v)s 版") % {"v": versions[0].version}
    elif package_knows(year):
        current = package_schedule(year)
        source = _("内置日历（chinese-calendar）")
    else:
        current = None
        source = _("未公布或未录入，按周一至周五暂定")
    context = {
        "year": year,
        "versions": versions,
        "holidays": sorted(current.holidays) if current else [],
        "workdays": sorted(current.workdays) if current else [],
        "source": source,
        "provisional": current is None,
        "can_enter": access.can_enter_calendar(user),
    }
    return render(request, "policy/calendar_year.html", context)


@login_required
def calendar_year_new(request: HttpRequest) -> HttpResponse:
    """Enter a year's official schedule, or correct it as a new version (系统管理员 only)."""
    user = current_user(request, required=True)
    if not access.can_enter_calendar(user):
        raise PermissionDenied
    if request.method == "POST":
        form = CalendarYearForm(request.POST)
        if form.is_valid():
            try:
                row = services.enter_calendar_year(
                    year=form.cleaned_data["year"],
                    holidays=form.cleaned_data["holidays"],
                    workdays=form.cleaned_data["workdays"],
                    source_note=form.cleaned_data["source_note"],
                    by=user,
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("已录入 %(year)s 年放假安排第 %(v)s 版。") % {"year": row.year, "v": row.version},
                )
                return redirect("policy:calendar-year", year=row.year)
    else:
        form = CalendarYearForm(initial=_calendar_initial(request.GET.get("year", "")))
    return render(request, "policy/calendar_form.html", {"form": form})


def _calendar_initial(year_text: str) -> dict[str, Any]:
    """Prefill with the schedule in force for the year asked for (a correction starts from it)."""
    if not year_text.isdigit() or len(year_text) != 4:
        return {"year": timezone.localdate().year + 1}
    year = int(year_text)
    row = OfficialCalendarYear.objects.filter(year=year).order_by("-version").first()
    schedule = row.as_schedule() if row else package_schedule(year)
    holidays: list[dt.date] = sorted(schedule.holidays)
    workdays: list[dt.date] = sorted(schedule.workdays)
    return {"year": year, "holidays": format_dates(holidays), "workdays": format_dates(workdays)}
