"""Lead pages under /cases/ (名称空间 ``cases``): the town's inbox of reported leads and its decisions, a
cadre's report and a hotline call. Rows come through ``visible_to`` only; every write goes through
``identification``, which checks role and scope again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bangfu.accounts.models import User
from bangfu.core.masking import mask_id_number, mask_phone
from bangfu.monitoring import access, identification
from bangfu.monitoring.case_forms import AcceptForm, CadreReportForm, DeclineForm, SelfReportForm
from bangfu.monitoring.case_views import PAGE, reader, risk_choices, village_names
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.models import Lead, LeadChannel, LeadStatus, MonitoringCase
from bangfu.regions.picker import build_picker
from bangfu.regions.scoping import get_for_user
from bangfu.registry.models import Household

# --- leads ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    """The reported leads of the scope: those awaiting acceptance first (late ones red), then the latest
    decided."""
    user = reader(request)
    today = timezone.localdate()
    visible = Lead.objects.visible_to(user).filter(channel__in=[LeadChannel.SELF_REPORT, LeadChannel.HOTLINE])
    waiting = visible.filter(status=LeadStatus.PENDING)
    after = request.GET.get("after", "")
    if after.isdigit():
        anchor = waiting.filter(pk=int(after)).values_list("due_on", "id").first()
        if anchor is not None:
            waiting = waiting.filter(Q(due_on__gt=anchor[0]) | Q(due_on=anchor[0], id__gt=anchor[1]))
    pending = list(waiting.order_by("due_on", "id")[: PAGE + 1])
    # The next page starts after the last lead shown (the anchor is excluded from it).
    more = pending[PAGE - 1].pk if len(pending) > PAGE else None
    pending = pending[:PAGE]
    decided = list(visible.exclude(status=LeadStatus.PENDING).order_by("-decided_at", "-id")[:PAGE])
    villages = village_names({lead.region_code for lead in [*pending, *decided]})
    context = {
        "pending": [
            {"lead": lead, "village": villages.get(lead.region_code, ""), "late": lead.due_on < today}
            for lead in pending
        ],
        "decided": [{"lead": lead, "village": villages.get(lead.region_code, "")} for lead in decided],
        "more": more,
    }
    return render(request, "monitoring/lead_list.html", context)


def _lead_detail(
    request: HttpRequest, user: User, lead: Lead, accept: AcceptForm | None, decline: DeclineForm | None
) -> HttpResponse:
    may_decide = access.can_decide_leads(user) and lead.status == LeadStatus.PENDING
    context = {
        "lead": lead,
        "village": village_names({lead.region_code}).get(lead.region_code, lead.region_code),
        "id_number": mask_id_number(lead.id_number),
        "phone": mask_phone(lead.phone),
        "late": lead.status == LeadStatus.PENDING and lead.due_on < timezone.localdate(),
        "accept": (accept or AcceptForm()) if may_decide else None,
        "decline": (decline or DeclineForm()) if may_decide else None,
        "case": MonitoringCase.objects.filter(lead=lead).first(),
    }
    return render(request, "monitoring/lead_detail.html", context)


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = reader(request)
    lead = get_for_user(Lead.objects.select_related("household"), user, pk=pk)
    return _lead_detail(request, user, lead, None, None)


def _deciding(request: HttpRequest, pk: int) -> tuple[User, Lead]:
    """The town deciding a lead of its scope (403 for other roles, 404 outside the scope)."""
    user = reader(request)
    if not access.can_decide_leads(user):
        raise PermissionDenied(_("只有乡镇可以受理线索。"))
    return user, get_for_user(Lead.objects.select_related("household"), user, pk=pk)


@login_required
@require_POST
def lead_accept(request: HttpRequest, pk: int) -> HttpResponse:
    user, lead = _deciding(request, pk)
    form = AcceptForm(request.POST)
    if form.is_valid():
        household = None
        number = form.cleaned_data["household_number"].strip()
        if number:
            household = Household.objects.visible_to(user).filter(household_number=number).first()
            if household is None:
                form.add_error(
                    "household_number",
                    _("在您的管辖范围内没有户编号为 %(number)s 的农户") % {"number": number},
                )
        if not form.errors:
            try:
                case = identification.accept_lead(
                    lead=lead, by=user, household=household, request=request, **form.arguments()
                )
            except MonitoringRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("已受理，开始识别认定。"))
                return redirect("cases:case-detail", pk=case.pk)
    return _lead_detail(request, user, lead, form, None)


@login_required
@require_POST
def lead_decline(request: HttpRequest, pk: int) -> HttpResponse:
    user, lead = _deciding(request, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            identification.decline_lead(
                lead=lead, by=user, reason=form.cleaned_data["reason"], request=request
            )
        except MonitoringRefused as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已登记不予受理。"))
            return redirect("cases:lead-detail", pk=lead.pk)
    return _lead_detail(request, user, lead, None, form)


# --- reports --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    """基层干部排查: a cadre reports a household of the scope, found by its 户编号; the case opens at once."""
    user = reader(request)
    if not access.can_report(user):
        raise PermissionDenied(_("只有驻村工作队或乡镇可以报告监测线索。"))
    today = timezone.localdate()
    number = (request.POST.get("household_number") or request.GET.get("household_number") or "").strip()
    household = Household.objects.visible_to(user).filter(household_number=number).first() if number else None
    choices = risk_choices(household.region_code if household else user.scope_prefixes()[0], today)
    form = CadreReportForm(request.POST or None, risk_choices=choices)
    if request.method == "POST" and form.is_valid():
        if household is None:
            form.add_error(
                None, _("在您的管辖范围内没有户编号为 %(number)s 的农户") % {"number": number or "—"}
            )
        else:
            try:
                case = identification.report_by_cadre(
                    household=household, by=user, request=request, **form.arguments()
                )
            except MonitoringRefused as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("已报告，开始识别认定。"))
                return redirect("cases:case-detail", pk=case.pk)
    context = {"form": form, "household_number": number, "household": household}
    return render(request, "monitoring/report_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def hotline_new(request: HttpRequest) -> HttpResponse:
    """A hotline call (12317) entered by staff for the caller: it lands in the town's inbox like a
    self-report."""
    user = reader(request)
    if not access.can_enter_hotline(user):
        raise PermissionDenied(_("只有乡镇及以上工作人员可以登记热线来电。"))
    today = timezone.localdate()
    # The picker posts one select per level; the last holds the picked village.
    codes = request.POST.getlist("region_code") if request.method == "POST" else []
    region_code = codes[-1] if codes else ""
    form = SelfReportForm(request.POST or None, risk_choices=risk_choices(user.scope_prefixes()[0], today))
    if request.method == "POST" and form.is_valid():
        try:
            lead = identification.submit_self_report(
                region_code=region_code,
                on=today,
                by=user,
                channel=LeadChannel.HOTLINE,
                request=request,
                **form.arguments(),
            )
        except MonitoringRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except PermissionDenied:
            form.add_error(None, _("所选村不在您的管辖范围内"))
        else:
            messages.success(request, _("已登记来电，转乡镇受理。"))
            return redirect("cases:lead-detail", pk=lead.pk)
    picker = build_picker(user=user, value=region_code or None, name="region_code")
    return render(request, "monitoring/hotline_form.html", {"form": form, "picker": picker})
