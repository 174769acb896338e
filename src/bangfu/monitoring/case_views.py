"""Case pages under /cases/ (名称空间 ``cases``): the board of cases in the identification procedure (counts
per step and per region, late steps in red), the daily digest, and one case with its timeline, the form of
its current step, its assistance plan and its visits. (Leads: ``lead_views``; visits: ``visit_views``.) Rows
come through ``visible_to`` only; every write goes through the services, which check role and scope again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_fsm import has_transition_perm

from bangfu import policy
from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.core.scheduling import last_finished, uses_database_queue
from bangfu.monitoring import access, assistance, visits
from bangfu.monitoring.case_forms import (
    NEED_LABELS,
    STEP_FORMS,
    ApprovalForm,
    ContactForm,
    EliminationForm,
    MeasureForm,
    RejectForm,
    RollBackForm,
    SendBackForm,
    StepForm,
)
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.models import (
    OPEN_STATES,
    STEPS,
    CaseEvent,
    CaseState,
    Category,
    Lead,
    LeadChannel,
    LeadStatus,
    MonitoringCase,
    Notice,
    OverdueDigest,
)
from bangfu.monitoring.models.cases import REJECTING_STEPS, MonitoringCaseQuerySet, late_q
from bangfu.monitoring.steps import SERVICES
from bangfu.policy.exceptions import PolicyError
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.scoping import get_for_user
from bangfu.registry import access as registry_access
from bangfu.registry.models import Member, Relation

PAGE = 50
POSTER_VILLAGES = 50
# The morning job that builds the digests (bangfu.schedule).
DIGEST_TASK = "bangfu.monitoring.jobs.digest_daily"
ACTION_LABELS = {
    "open": _("立案（开始识别）"),
    "lead": _("新线索并入"),
    "sign_application": _("签署申请及承诺书"),
    "record_home_check": _("完成入户核查"),
    "compare_data": _("完成信息比对"),
    "record_appraisal": _("民主评议，开始公示"),
    "close_notice": _("公示期满，报乡镇审核"),
    "town_approve": _("乡镇审核通过"),
    "county_approve": _("县级审定通过"),
    "announce": _("结果公告，纳入监测"),
    "send_back": _("退回"),
    "reject": _("不予纳入"),
    "propose_elimination": _("提出风险消除"),
    "record_elimination_appraisal": _("消除评议，开始公示"),
    "close_elimination_notice": _("消除公示期满，报乡镇审核"),
    "town_accept_elimination": _("乡镇审核（验收）通过"),
    "approve_elimination": _("县级审定，风险消除"),
    "roll_back_elimination": _("风险消除回退"),
}


NEED_TEXT = {True: _("有保障"), False: _("未保障")}


def _record_lines(record: dict[str, Any]) -> list[tuple[str, str]]:
    """A step's record as labelled lines for the timeline (no personal identifiers are ever recorded)."""
    lines: list[tuple[str, str]] = []
    channel = record.get("channel")
    if channel:
        lines.append((_("来源渠道"), str(dict(LeadChannel.choices).get(channel, channel))))
    if record.get("proxy_name"):
        lines.append((_("代填人"), f"{record['proxy_name']}（{record.get('proxy_relation', '')}）"))
    if "members" in record:
        lines.append((_("家庭人口数"), str(record["members"])))
        window = record.get("window") or ["", ""]
        lines.append((_("收入计算周期"), f"{window[0]} — {window[1]}"))
        lines.append((_("家庭纯收入（元）"), str(record.get("net_income", ""))))
        lines.append((_("人均纯收入（元）"), str(record.get("net_income_per_capita", ""))))
        lines.append((_("合规自付支出（元）"), str(record.get("out_of_pocket", ""))))
        needs = record.get("needs_met", {})
        lines.append(
            (
                _("两不愁三保障及饮水"),
                "；".join(
                    f"{NEED_LABELS[k]}：{NEED_TEXT[bool(v)]}" for k, v in needs.items() if k in NEED_LABELS
                ),
            )
        )
    if record.get("risk_types"):
        lines.append((_("风险类型"), "、".join(record["risk_types"])))
    if "findings" in record:
        findings = record["findings"]
        text = "；".join(
            " ".join(
                str(part)
                for part in (
                    f["kind_label"],
                    f["member"],
                    f["date"],
                    f["category"],
                    f["grade"],
                    f["amount"] or "",
                    f["text"],
                )
                if part
            )
            for f in findings
        )
        lines.append((_("比对结果"), text or _("未发现部门及财产信息")))
    if record.get("attendees"):
        lines.append((_("参会人员"), "、".join(record["attendees"])))
    if record.get("minutes"):
        lines.append((_("会议记录"), record["minutes"]))
    if "objections" in record:
        objections = record["objections"]
        lines.append(
            (
                _("公示异议"),
                "；".join(f"{o['content']} —— {o['handling']}" for o in objections) or _("无异议"),
            )
        )
    if record.get("category"):
        lines.append(
            (_("监测对象类别"), str(dict(Category.choices).get(record["category"], record["category"])))
        )
    if "no_labour" in record:
        lines.append((_("整户无劳动力"), _("是") if record["no_labour"] else _("否")))
    if record.get("opinion"):
        lines.append((_("意见"), record["opinion"]))
    if record.get("note"):
        lines.append((_("核查说明"), record["note"]))
    return lines


def reader(request: HttpRequest) -> User:
    user = current_user(request, required=True)
    if not access.can_read_cases(user):
        raise PermissionDenied(_("您的角色不能查看监测对象识别。"))
    return user


def risk_choices(region: str, on: dt.date) -> list[str]:
    try:
        return list(policy.value("codes.risk_types", region=region, on=on))
    except PolicyError:
        return []


def village_names(codes: set[str]) -> dict[str, str]:
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


def head_names(household_ids: set[int]) -> dict[int, str]:
    return dict(
        Member.objects.current()
        .filter(household_id__in=household_ids, relation=Relation.HEAD)
        .values_list("household_id", "name")
    )


# --- the board ------------------------------------------------------------------------------------------


@login_required
@require_GET
def case_board(request: HttpRequest) -> HttpResponse:
    """Counts per step for the user's scope (one grouped query), then the cases of the chosen step or the
    late ones, the most urgent first (keyset on the step's due date and id)."""
    user = reader(request)
    today = timezone.localdate()
    visible = MonitoringCase.objects.visible_to(user)
    late = late_q(today)
    counted = {
        row["state"]: row
        for row in visible.open()
        .order_by()
        .values("state")
        .annotate(n=Count("id"), late=Count("id", filter=late))
    }
    steps = [
        {
            "state": state,
            "label": label,
            "count": counted.get(state, {}).get("n", 0),
            "late": counted.get(state, {}).get("late", 0),
        }
        for state, label in CaseState.choices
        if state in OPEN_STATES
    ]
    state = request.GET.get("state", "")
    show_late = request.GET.get("late") == "1"
    cases: QuerySet[MonitoringCase] = visible.open()
    if state in OPEN_STATES:
        cases = cases.filter(state=state)
    if show_late:
        cases = cases.filter(late)
    after = request.GET.get("after", "")
    if after.isdigit():
        anchor = cases.filter(pk=int(after)).values_list("step_due_on", "id").first()
        if anchor is not None:
            cases = cases.filter(Q(step_due_on__gt=anchor[0]) | Q(step_due_on=anchor[0], id__gt=anchor[1]))
    page = list(cases.select_related("household").order_by("step_due_on", "id")[: PAGE + 1])
    # The next page starts after the last case shown (the anchor is excluded from it).
    more = page[PAGE - 1].pk if len(page) > PAGE else None
    page = page[:PAGE]
    villages = village_names({c.region_code for c in page})
    heads = head_names({c.household_id for c in page})
    rows = [
        {
            "case": c,
            "village": villages.get(c.region_code, c.region_code),
            "head": heads.get(c.household_id, ""),
            "late": c.is_late(today),
        }
        for c in page
    ]
    pending_leads = Lead.objects.visible_to(user).filter(status=LeadStatus.PENDING).count()
    # The villages whose QR poster the user may print (a town's few; a county picks from the region pages).
    in_scope = Region.objects.visible_to(user).filter(level=Level.VILLAGE).order_by("code")
    poster_villages = list(in_scope[: POSTER_VILLAGES + 1])
    context = {
        "steps": steps,
        "total_late": sum(s["late"] for s in steps),
        "rows": rows,
        "state": state,
        "show_late": show_late,
        "more": more,
        "pending_leads": pending_leads,
        "can_report": access.can_report(user),
        "can_enter_hotline": access.can_enter_hotline(user),
        "poster_villages": poster_villages if len(poster_villages) <= POSTER_VILLAGES else [],
        "pipeline": _pipeline(user, visible, today),
        "pipeline_steps": [label for state, label in CaseState.choices if state in OPEN_STATES],
        "without_contact": visible.filter(
            state__in=assistance.PLANNED_STATES, contact_cadre__isnull=True
        ).count(),
    }
    return render(request, "monitoring/case_board.html", context)


def _pipeline(user: User, visible: MonitoringCaseQuerySet, today: dt.date) -> list[dict[str, Any]]:
    """Counts per step and late ones, per region one level below the user's scope (a county's towns, a
    town's villages): one grouped query."""
    prefixes = user.scope_prefixes()
    if len(prefixes) != 1 or len(prefixes[0]) >= 12:
        return []
    width = {2: 4, 4: 6, 6: 9, 9: 12}.get(len(prefixes[0]))
    if width is None:
        return []
    counts = {state: Count("id", filter=Q(state=state)) for state in OPEN_STATES}
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in visible.open()
        .annotate(child=Substr("region_code", 1, width))
        .order_by()
        .values("child")
        .annotate(total=Count("id"), late=Count("id", filter=late_q(today)), **counts)
        .order_by("child")
    ]
    names = village_names({row["child"].ljust(12, "0") for row in rows})
    ordered = [state for state, _label in CaseState.choices if state in OPEN_STATES]
    return [
        {
            "name": names.get(row["child"].ljust(12, "0"), row["child"]),
            "total": row["total"],
            "late": row["late"],
            "cells": [row[state] for state in ordered],
        }
        for row in rows
    ]


@login_required
@require_GET
def digest(request: HttpRequest) -> HttpResponse:
    """The latest daily digest of late work for the towns and counties of the user's scope.

    A region has a digest only on a day with late work, so an empty page means nothing is late only once
    today's digest was built (the morning job has run): until then the page says so and shows the last
    digest, with its day."""
    user = reader(request)
    today = timezone.localdate()
    visible = OverdueDigest.objects.visible_to(user)
    finished = last_finished(DIGEST_TASK)
    built_today = finished is not None and timezone.localdate(finished) == today
    day = today if built_today else visible.order_by("-on").values_list("on", flat=True).first()
    digests = list(visible.filter(on=day).order_by("region_code")) if day else []
    names = village_names({d.region_code for d in digests})
    labels = dict(CaseState.choices)
    rows = [
        {
            "digest": d,
            "name": names.get(d.region_code, d.region_code),
            "steps": [(labels.get(state, state), n) for state, n in sorted(d.by_step.items())],
            "items": [{**item, "state_label": labels.get(item["state"], item["state"])} for item in d.items],
        }
        for d in digests
    ]
    # Without a record of the job's runs (another queue backend) the latest digest is shown as it is.
    pending = uses_database_queue() and not built_today
    context = {"day": day, "rows": rows, "today": today, "pending": pending}
    return render(request, "monitoring/digest.html", context)


# --- one case -------------------------------------------------------------------------------------------


def _forms_for(user: User, case: MonitoringCase, today: dt.date) -> dict[str, Any]:
    """The forms the user may use on the case now: its step's, sending back, rejecting; on a monitored
    household, proposing its elimination; on an eliminated one, rolling it back."""
    if case.state == CaseState.MONITORED and has_transition_perm(case.propose_elimination, user):
        return {"eliminate": EliminationForm()}
    if case.state == CaseState.ELIMINATED and has_transition_perm(case.roll_back_elimination, user):
        return {"roll_back": RollBackForm()}
    if case.state not in STEPS or not _may_act(user, case):
        return {}
    choices = risk_choices(case.region_code, today)
    action, form_class = STEP_FORMS[case.state]
    forms: dict[str, Any] = {"step": (action, _step_form(form_class, case, choices))}
    if STEPS[case.state].returns_to:
        forms["back"] = SendBackForm(state=case.state)
    if case.state in REJECTING_STEPS:
        forms["reject"] = RejectForm()
    return forms


def _may_act(user: User, case: MonitoringCase) -> bool:
    action, _form = STEP_FORMS[case.state]
    return has_transition_perm(getattr(case, action), user)


def _step_form(
    form_class: type[StepForm], case: MonitoringCase, choices: list[str], data: Any = None, files: Any = None
) -> StepForm:
    kwargs: dict[str, Any] = {"risk_choices": choices}
    if issubclass(form_class, ApprovalForm):
        kwargs["initial_risks"] = case.risk_types
    return form_class(data, files, **kwargs)


def _cadres(case: MonitoringCase) -> list[tuple[int, str]]:
    """Who may be the household's contact cadre: the village's team and its town's cadres (active)."""
    village, town = case.region_code, case.region_code[:9] + "000"
    return [
        (user.pk, f"{user.full_name or user.username}（{user.get_role_display()}）")
        for user in User.objects.filter(
            is_active=True, role__in=assistance.CONTACT_ROLES, region__code__in=[village, town]
        ).order_by("role", "full_name", "pk")
    ]


def _plan(user: User, case: MonitoringCase, forms: dict[str, Any]) -> dict[str, Any]:
    """The assistance plan's part of the case page: measures, coverage, contact cadre, and the forms."""
    measures = list(case.measures.select_related("category").order_by("starts_on", "id"))
    return {
        "measures": measures,
        "coverage": assistance.coverage(case, measures),
        "uncovered": assistance.uncovered(case, measures),
        "measure_form": (forms.get("measure") or MeasureForm()) if assistance.can_plan(user, case) else None,
        "contact_form": (forms.get("contact") or ContactForm(cadres=_cadres(case)))
        if assistance.can_assign_contact(user, case)
        else None,
        "planned": case.state in assistance.PLANNED_STATES,
    }


def _detail(
    request: HttpRequest,
    user: User,
    case: MonitoringCase,
    forms: dict[str, Any],
    plan_forms: dict[str, Any] | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    timeline = list(CaseEvent.objects.filter(case=case).select_related("by").order_by("at", "id"))
    rows = [
        {
            "event": event,
            "label": ACTION_LABELS.get(event.action, event.action),
            "lines": _record_lines(event.record),
        }
        for event in timeline
    ]
    context = {
        "case": case,
        "lead": case.lead,
        "village": village_names({case.region_code}).get(case.region_code, case.region_code),
        "head": head_names({case.household_id}).get(case.household_id, ""),
        "rows": rows,
        "forms": forms,
        "step_late": case.step_late(today),
        "late": case.identification_late(today),
        "household_link": registry_access.can_read(user),
        "action_labels": ACTION_LABELS,
        "notices": Notice.objects.filter(entries__case=case).order_by("starts_on", "kind"),
        **_plan(user, case, plan_forms or {}),
        "visits": [
            {
                "visit": v,
                "unmet": [
                    str(NEED_LABELS[k]) for k, met in v.needs_met.items() if not met and k in NEED_LABELS
                ],
            }
            for v in visits.recent(case)
        ],
        "can_visit": visits.can_visit(user, case),
    }
    return render(request, "monitoring/case_detail.html", context)


def _case(user: User, pk: int) -> MonitoringCase:
    return get_for_user(MonitoringCase.objects.select_related("household", "lead"), user, pk=pk)


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = reader(request)
    case = _case(user, pk)
    forms = _forms_for(user, case, timezone.localdate())
    return _detail(request, user, case, forms)


def _moved_on(request: HttpRequest, case: MonitoringCase) -> bool:
    """Whether the case left the step the posted form was made for (a second click, another user first)."""
    posted = request.POST.get("state")
    return posted is not None and posted != case.state


def _moved(request: HttpRequest, case: MonitoringCase) -> HttpResponse:
    messages.warning(request, _("该户的办理环节已变化（可能已由他人办理），请核对后再办理。"))
    return redirect("cases:case-detail", pk=case.pk)


def _run(
    request: HttpRequest, user: User, case: MonitoringCase, name: str, form: StepForm, forms: dict[str, Any]
) -> HttpResponse:
    if form.is_valid():
        try:
            SERVICES[name](case=case, by=user, request=request, **form.arguments())
        except MonitoringRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已办理：%(action)s。") % {"action": ACTION_LABELS.get(name, name)})
            return redirect("cases:case-detail", pk=case.pk)
    return _detail(request, user, case, forms)


@login_required
@require_POST
def case_step(request: HttpRequest, pk: int) -> HttpResponse:
    """The current step's forward action."""
    user = reader(request)
    case = _case(user, pk)
    if _moved_on(request, case):
        return _moved(request, case)
    if case.state not in STEPS or not _may_act(user, case):
        raise PermissionDenied(_("您不能办理该户当前的环节。"))
    action, form_class = STEP_FORMS[case.state]
    form = _step_form(
        form_class, case, risk_choices(case.region_code, timezone.localdate()), request.POST, request.FILES
    )
    forms = {**_forms_for(user, case, timezone.localdate()), "step": (action, form)}
    return _run(request, user, case, action, form, forms)


@login_required
@require_POST
def case_back(request: HttpRequest, pk: int) -> HttpResponse:
    return _special(
        request, pk, "send_back", "back", lambda case: SendBackForm(request.POST, state=case.state)
    )


@login_required
@require_POST
def case_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _special(request, pk, "reject", "reject", lambda _case: RejectForm(request.POST))


@login_required
@require_POST
def case_measure(request: HttpRequest, pk: int) -> HttpResponse:
    """A measure added to the household's plan."""
    user = reader(request)
    case = _case(user, pk)
    if not assistance.can_plan(user, case):
        raise PermissionDenied(_("只有驻村工作队或乡镇可以为本辖区已认定的监测户制定帮扶措施。"))
    form = MeasureForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            assistance.add_measure(case=case, by=user, request=request, **form.arguments())
        except MonitoringRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已添加帮扶措施。"))
            return redirect("cases:case-detail", pk=case.pk)
    return _detail(request, user, case, _forms_for(user, case, timezone.localdate()), {"measure": form})


@login_required
@require_POST
def case_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """The town names the household's contact cadre."""
    user = reader(request)
    case = _case(user, pk)
    if not assistance.can_assign_contact(user, case):
        raise PermissionDenied(_("只有乡镇可以为本辖区已认定的监测户确定帮扶联系人。"))
    cadres = _cadres(case)
    form = ContactForm(request.POST, cadres=cadres)
    if form.is_valid():
        cadre = User.objects.get(pk=int(form.cleaned_data["cadre"]))
        try:
            assistance.assign_contact(case=case, by=user, cadre=cadre, request=request)
        except MonitoringRefused as exc:
            form.add_error("cadre", exc.message)
        else:
            messages.success(request, _("已确定帮扶联系人。"))
            return redirect("cases:case-detail", pk=case.pk)
    return _detail(request, user, case, _forms_for(user, case, timezone.localdate()), {"contact": form})


def _special(
    request: HttpRequest, pk: int, name: str, key: str, make_form: Callable[[MonitoringCase], StepForm]
) -> HttpResponse:
    """An action other than the step's own forward one: sending back, rejecting, proposing an elimination,
    rolling one back. Allowed when the transition is (its source state, its actor in scope)."""
    user = reader(request)
    case = _case(user, pk)
    if _moved_on(request, case):
        return _moved(request, case)
    if not has_transition_perm(getattr(case, name), user):
        raise PermissionDenied(_("您不能办理该户当前的环节。"))
    form = make_form(case)
    return _run(request, user, case, name, form, {**_forms_for(user, case, timezone.localdate()), key: form})


@login_required
@require_POST
def case_eliminate(request: HttpRequest, pk: int) -> HttpResponse:
    return _special(
        request, pk, "propose_elimination", "eliminate", lambda _case: EliminationForm(request.POST)
    )


@login_required
@require_POST
def case_roll_back(request: HttpRequest, pk: int) -> HttpResponse:
    return _special(
        request, pk, "roll_back_elimination", "roll_back", lambda _case: RollBackForm(request.POST)
    )
