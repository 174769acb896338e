"""Visit pages under /cases/ (phone-first): the cadre's "my households" with visits due and overdue, the
visit form (``static/js/visit-form.js`` compresses the photo and keeps a draft in the phone when a send
fails, and sends it again when back online); a visit's photo and a step's attachment (the signed pledge)
for those who may read the case."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.monitoring import access, visits
from bangfu.monitoring.case_forms import VisitForm
from bangfu.monitoring.case_views import head_names, risk_choices, village_names
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.models import CaseEvent, MonitoringCase, Visit
from bangfu.regions.scoping import get_for_user


def _visitor(request: HttpRequest) -> User:
    user = current_user(request, required=True)
    if not access.can_visit(user):
        raise PermissionDenied(_("只有驻村工作队或乡镇干部走访监测户。"))
    return user


@login_required
@require_GET
def my_households(request: HttpRequest) -> HttpResponse:
    user = _visitor(request)
    today = timezone.localdate()
    rows = visits.my_households(user, on=today)
    villages = village_names({row.case.region_code for row in rows})
    heads = head_names({row.case.household_id for row in rows})
    context = {
        "rows": [
            {
                "due": row,
                "village": villages.get(row.case.region_code, ""),
                "head": heads.get(row.case.household_id, ""),
            }
            for row in rows
        ],
        "overdue": sum(1 for row in rows if row.overdue),
    }
    return render(request, "monitoring/my_households.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = _visitor(request)
    case = get_for_user(MonitoringCase.objects.select_related("household"), user, pk=pk)
    if not visits.can_visit(user, case):
        raise PermissionDenied(_("只有驻村工作队或乡镇可以走访本辖区的监测户。"))
    form = VisitForm(
        request.POST or None,
        request.FILES or None,
        risk_choices=risk_choices(case.region_code, timezone.localdate()),
    )
    # The phone's script sends the form with fetch and asks for JSON: it drops a draft kept offline only
    # when the answer confirms the visit is stored (201), and shows a refusal (422).
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "POST" and form.is_valid():
        try:
            visit, new = visits.log_visit(case=case, by=user, request=request, **form.arguments())
        except MonitoringRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已记录走访。") if new else _("该次走访已记录过（重复发送已忽略）。"))
            if wants_json:
                return JsonResponse(
                    {"stored": True, "client_id": str(visit.client_id), "new": new}, status=201
                )
            return redirect("cases:my-households")
    if request.method == "POST" and wants_json:
        problems = [
            f"{form.fields[name].label if name in form.fields else ''}：{' '.join(map(str, errors))}".lstrip(
                "："
            )
            for name, errors in form.errors.items()
        ]
        return JsonResponse({"stored": False, "message": "；".join(problems)}, status=422)
    context = {
        "form": form,
        "case": case,
        "head": head_names({case.household_id}).get(case.household_id, ""),
        "village": village_names({case.region_code}).get(case.region_code, ""),
    }
    return render(request, "monitoring/visit_form.html", context)


@login_required
@require_GET
def visit_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A visit's photo, for those who read the household's case (never public, never cached)."""
    user = current_user(request, required=True)
    if not access.can_read_cases(user):
        raise PermissionDenied(_("您的角色不能查看监测对象识别。"))
    visit = get_for_user(Visit.objects.all(), user, pk=pk)
    if not visit.photo:
        raise Http404(_("该次走访没有照片"))
    return _private_file(visit.photo)


@login_required
@require_GET
def event_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A step's attachment (the signed pledge's photo), for those who read the household's case."""
    user = current_user(request, required=True)
    if not access.can_read_cases(user):
        raise PermissionDenied(_("您的角色不能查看监测对象识别。"))
    event = get_for_user(CaseEvent.objects.all(), user, pk=pk)
    if not event.attachment:
        raise Http404(_("该记录没有附件"))
    return _private_file(event.attachment)


def _private_file(stored: Any) -> FileResponse:
    kind = mimetypes.guess_type(stored.name or "")[0] or "application/octet-stream"
    response = FileResponse(stored.open("rb"), content_type=kind)
    response["Cache-Control"] = "private, no-store"
    return response
