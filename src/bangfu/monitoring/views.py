"""Warning pages under /warnings/ (名称空间 ``monitoring``): the inbox (a village's to check, a town's and a
county's overdue ones in red, a department's outcomes of its own data), one warning with its facts, and
the village's answer. Rows come through ``visible_to`` only; writes through ``services``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from bangfu.accounts.models import Role, User
from bangfu.accounts.permissions import current_user
from bangfu.datasets import layouts
from bangfu.datasets.models import DatasetKind
from bangfu.monitoring import access, quality, rules, services
from bangfu.monitoring.forms import RuleForm
from bangfu.monitoring.models import (
    INCOME_SOURCE,
    SOURCE_CHOICES,
    QualityIssue,
    ScreeningRule,
    ScreeningRun,
    ScreeningWarning,
    WarningStatus,
)
from bangfu.monitoring.screening import ScreeningError, rules_in_force, screen
from bangfu.regions.codes import Level, full_code
from bangfu.regions.models import Region
from bangfu.regions.scoping import code_visible_to, get_for_user
from bangfu.registry import access as registry_access

PAGE = 50


class WarningFilterForm(forms.Form):
    SHOW = (
        ("open", gettext_lazy("待核查")),
        ("overdue", gettext_lazy("已逾期")),
        ("answered", gettext_lazy("已核查")),
        ("all", gettext_lazy("全部")),
    )
    show = forms.ChoiceField(label=gettext_lazy("显示"), choices=SHOW, required=False)
    rule = forms.CharField(label=gettext_lazy("规则编码"), max_length=32, required=False)


class AnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("核查结果"),
        choices=[
            (WarningStatus.INCLUDED, gettext_lazy("纳入识别（启动识别认定程序）")),
            (WarningStatus.EXCLUDED, gettext_lazy("排除（写明理由）")),
            (WarningStatus.RETURNED, gettext_lazy("退回部门：数据有误（写明错在哪里）")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("核查说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": gettext_lazy("核查说明最多500字")},
    )


def _reader(request: HttpRequest) -> User:
    """Every business role reads warnings in its scope (a department: those its data raised); 三员 get 403."""
    user = current_user(request, required=True)
    if not access.can_read(user):
        raise PermissionDenied(_("您的角色不能查看预警线索。"))
    return user


def _filtered(warnings: QuerySet[ScreeningWarning], show: str, today: dt.date) -> QuerySet[ScreeningWarning]:
    if show == "overdue":
        return warnings.filter(status=WarningStatus.NEW, due_on__lt=today)
    if show == "answered":
        return warnings.exclude(status=WarningStatus.NEW)
    if show == "all":
        return warnings
    return warnings.filter(status=WarningStatus.NEW)


@login_required
@require_GET
def warning_list(request: HttpRequest) -> HttpResponse:
    user = _reader(request)
    today = timezone.localdate()
    form = WarningFilterForm(request.GET)
    show = (form.cleaned_data.get("show") if form.is_valid() else "") or "open"
    rule = form.cleaned_data.get("rule", "") if form.is_valid() else ""
    visible = ScreeningWarning.objects.visible_to(user)
    counts = visible.aggregate(
        open=Count("id", filter=Q(status=WarningStatus.NEW)),
        overdue=Count("id", filter=Q(status=WarningStatus.NEW, due_on__lt=today)),
    )
    warnings = _filtered(visible, show, today)
    if rule:
        warnings = warnings.filter(rule_code=rule)
    # The most urgent first; a keyset on (due date, id) pages through a county's thousands.
    order = ("due_on", "id") if show in ("open", "overdue") else ("-screened_on", "-id")
    after = request.GET.get("after", "")
    if after.isdigit():
        anchor = warnings.filter(pk=int(after)).values_list(order[0].lstrip("-"), "id").first()
        if anchor is not None:
            if order[0].startswith("-"):
                warnings = warnings.filter(
                    Q(screened_on__lt=anchor[0]) | Q(screened_on=anchor[0], id__lt=anchor[1])
                )
            else:
                warnings = warnings.filter(Q(due_on__gt=anchor[0]) | Q(due_on=anchor[0], id__gt=anchor[1]))
    page = list(warnings.select_related("household").order_by(*order)[: PAGE + 1])
    # The next page starts after the last warning shown (the anchor is excluded from it).
    more = page[PAGE - 1].pk if len(page) > PAGE else None
    page = page[:PAGE]
    villages = dict(Region.objects.filter(code__in={w.region_code for w in page}).values_list("code", "name"))
    rows = [
        {"warning": w, "village": villages.get(w.region_code, w.region_code), "overdue": _overdue(w, today)}
        for w in page
    ]
    context = {
        "form": form,
        "rows": rows,
        "counts": counts,
        "show": show,
        "more": more,
        "today": today,
        "outcomes": _outcomes(visible, today) if user.role == Role.DEPARTMENT else None,
    }
    return render(request, "monitoring/warning_list.html", context)


def _outcomes(visible: QuerySet[ScreeningWarning], today: dt.date) -> list[dict[str, Any]]:
    """A department's view of what its data raised: per rule, how many warnings await a check (and how many
    of those are overdue), were included, excluded, or returned as a data error — one grouped query."""
    by_status = {status: Count("id", filter=Q(status=status)) for status in WarningStatus.values}
    rows = (
        visible.order_by()
        .values("rule_code")
        .annotate(**by_status, overdue=Count("id", filter=Q(status=WarningStatus.NEW, due_on__lt=today)))
        .order_by("rule_code")
    )
    return [dict(row) for row in rows]


def _overdue(warning: ScreeningWarning, today: dt.date) -> bool:
    return warning.status == WarningStatus.NEW and warning.due_on < today


def readable_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """A warning's stored facts as a person reads them: a coded value of a department's file by its name
    (救助类别 dibao -> 低保, 学籍状态 suspected_dropout -> 疑似辍学), in the values and in the thresholds.
    The stored facts stay as the screening wrote them."""
    source = facts.get("source", "")
    if not source or source == INCOME_SOURCE or source not in DatasetKind.values:
        return facts
    labels = rules.field_labels(source)
    names = {labels[field]: coded for field, coded in layouts.codes(source).items() if field in labels}
    if not names:
        return facts
    values = {
        label: names.get(label, {}).get(value, value) if isinstance(value, str) else value
        for label, value in (facts.get("values") or {}).items()
    }
    tests = [
        {
            **test,
            "threshold": "、".join(
                names[test["field"]].get(part, part) for part in str(test.get("threshold", "")).split("、")
            ),
        }
        if test.get("field") in names
        else test
        for test in facts.get("tests") or []
    ]
    return {**facts, "values": values, "tests": tests}


def _detail(
    request: HttpRequest, user: User, warning: ScreeningWarning, form: AnswerForm | None
) -> HttpResponse:
    today = timezone.localdate()
    may_answer = access.can_answer(user) and warning.status == WarningStatus.NEW
    context: dict[str, Any] = {
        "warning": warning,
        "facts": readable_facts(warning.facts),
        "village": Region.objects.filter(code=warning.region_code).values_list("name", flat=True).first(),
        "overdue": _overdue(warning, today),
        "form": (form or AnswerForm()) if may_answer else None,
        "household_link": registry_access.can_read(user),
    }
    return render(request, "monitoring/warning_detail.html", context)


@login_required
@require_GET
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    warning = get_for_user(ScreeningWarning.objects.select_related("household", "answered_by"), user, pk=pk)
    return _detail(request, user, warning, None)


@login_required
@require_http_methods(["POST"])
def warning_answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = _reader(request)
    if not access.can_answer(user):
        raise PermissionDenied(_("只有驻村工作队或乡镇可以核查预警线索。"))
    warning = get_for_user(ScreeningWarning.objects.select_related("household", "answered_by"), user, pk=pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.answer_warning(
                warning=warning,
                by=user,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except services.MonitoringRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已登记核查结果。"))
            return redirect("monitoring:warning-detail", pk=warning.pk)
    return _detail(request, user, warning, form)


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    """The rule catalogue: every version, those in force today first, each condition as written."""
    _reader(request)
    today = timezone.localdate()
    rules = list(ScreeningRule.objects.order_by("code", "region_prefix", "-effective_from"))
    in_force = {r.pk for r in rules_in_force(on=today, include_disabled=True)}
    # The condition as the JSON the rule form takes (not Python's repr), so a version can be copied from it.
    rows = [
        {"rule": r, "in_force": r.pk in in_force, "condition": json.dumps(r.condition, ensure_ascii=False)}
        for r in rules
    ]
    user = current_user(request)
    context = {
        "rows": rows,
        "today": today,
        "can_edit": access.can_edit_rules(user),
        "can_read_runs": access.can_read_runs(user),
    }
    return render(request, "monitoring/rule_list.html", context)


QUALITY_SHOWN = 200


@login_required
@require_GET
def quality_list(request: HttpRequest) -> HttpResponse:
    """The data-quality findings of the user's scope (rebuilt nightly): counts per check, then the items, each
    linking to its household. For the registry's readers (sector departments do not read the registry)."""
    user = current_user(request, required=True)
    if not registry_access.can_read(user):
        raise PermissionDenied(_("您的角色不能查看数据质量核查结果。"))
    issues = QualityIssue.objects.visible_to(user)
    code = request.GET.get("check", "")
    counts = {row["code"]: row["n"] for row in issues.values("code").annotate(n=Count("id")).order_by()}
    checks = [{"code": c.code, "name": c.name, "count": counts.get(c.code, 0)} for c in quality.CHECKS]
    shown = issues.filter(code=code) if code in quality.CHECK_NAMES else issues
    items = list(
        shown.select_related("household", "member").order_by("region_code", "household_id", "id")[
            :QUALITY_SHOWN
        ]
    )
    villages = dict(
        Region.objects.filter(code__in={i.region_code for i in items}).values_list("code", "name")
    )
    rows = [
        {
            "issue": issue,
            "name": quality.CHECK_NAMES.get(issue.code, issue.code),
            "village": villages.get(issue.region_code, issue.region_code),
        }
        for issue in items
    ]
    found_on = issues.values_list("found_on", flat=True).first()
    context = {"checks": checks, "rows": rows, "code": code, "found_on": found_on, "limit": QUALITY_SHOWN}
    return render(request, "monitoring/quality_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest) -> HttpResponse:
    """A new rule, or a new version of a rule (the same code, a later ``effective_from``): city headquarters
    only. "预览" counts what the rule would flag on its first day, without adding it."""
    user = current_user(request, required=True)
    if not access.can_edit_rules(user):
        raise PermissionDenied(_("只有市级指挥部可以维护筛查规则。"))
    form = RuleForm(request.POST or None)
    preview: list[Any] = []
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        try:
            with transaction.atomic():
                rule = services.add_rule(by=user, request=request, **values)
                if "preview" in request.POST:
                    _run, preview = screen(on=rule.effective_from, codes=[rule.code], dry_run=True)
                    transaction.set_rollback(True)
        except services.MonitoringRefused as exc:
            form.add_error(exc.field or None, exc.message)
        except ScreeningError as exc:
            form.add_error(None, str(exc))
        else:
            if not preview:
                messages.success(request, _("已新增规则 %(code)s。") % {"code": rule.code})
                return redirect("monitoring:rule-list")
    vocabulary = rules.vocabulary(source for source, _label in SOURCE_CHOICES)
    return render(
        request, "monitoring/rule_form.html", {"form": form, "preview": preview, "vocabulary": vocabulary}
    )


RUNS_SHOWN = 30


@login_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    """The latest screening runs (the nightly job's, an upload's, a clerk's): what each rule found in each
    county, the counties of the user's scope only."""
    user = current_user(request, required=True)
    if not access.can_read_runs(user):
        raise PermissionDenied(_("只有市级指挥部和县区工作专班可以查看筛查记录。"))
    # The runs that covered part of the user's scope (a run of one county is not another county's).
    overlaps = Q(region_prefix="")
    for prefix in user.scope_prefixes():
        overlaps |= Q(region_prefix__startswith=prefix)
        overlaps |= Q(region_prefix__in=[prefix[:n] for n in range(1, len(prefix) + 1)])
    runs = list(
        ScreeningRun.objects.filter(overlaps, dry_run=False)
        .select_related("created_by")
        .order_by("-started_at")[:RUNS_SHOWN]
    )
    names = dict(Region.objects.filter(level=Level.COUNTY).values_list("code", "name"))
    rows = []
    for run in runs:
        counties = sorted(
            county for county in run.counts.get("by_county", {}) if code_visible_to(user, full_code(county))
        )
        in_scope = [
            county
            for county in {
                c for found in run.counts.get("rules", {}).values() for c in found.get("skipped", {})
            }
            if code_visible_to(user, full_code(county))
        ]
        rules_found = [
            {
                "code": code,
                "name": found.get("name", ""),
                "cells": [found.get("by_county", {}).get(county, 0) for county in counties],
                "new": found.get("new", 0),
                "skipped": [county for county in found.get("skipped", {}) if county in in_scope],
            }
            for code, found in sorted(run.counts.get("rules", {}).items())
        ]
        rows.append(
            {
                "run": run,
                # Run-wide figures (new warnings) only to whom sees every county the run covered.
                "whole": len(counties) == len(run.counts.get("by_county", {})),
                "counties": [names.get(full_code(county), county) for county in counties],
                "rules": rules_found,
                "seconds": (run.finished_at - run.started_at).total_seconds() if run.finished_at else None,
            }
        )
    return render(request, "monitoring/run_list.html", {"rows": rows})
