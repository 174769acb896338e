"""The auditor screen (三员分立: the auditor role only; every other role gets 403).

Reading the audit trail is not itself audited per page; exporting it is (``services.export_events``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from bangfu.accounts.models import Role, User
from bangfu.accounts.permissions import current_user, role_required
from bangfu.audit.chain import last_hash, verify_chain
from bangfu.audit.forms import AuditFilterForm
from bangfu.audit.models import AuditEvent
from bangfu.audit.services import export_events
from bangfu.core.htmx import HtmxHttpRequest

PAGE_SIZE = 50


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, Any]:
    """The filter form bound to the query string and the events it selects (none when it is invalid)."""
    form = AuditFilterForm(request.GET)
    events = AuditEvent.objects.visible_to(current_user(request))
    if not form.is_valid():
        return form, events.none()
    return form, form.apply(events)


@require_GET
@role_required(Role.AUDITOR)
def event_list(request: HtmxHttpRequest) -> HttpResponse:
    form, events = _filtered(request)
    before = form.cleaned_data.get("before") if form.is_valid() else None
    page, next_before = events.page(before=before, size=PAGE_SIZE)
    next_query = ""
    if next_before is not None:
        params = request.GET.copy()
        params["before"] = str(next_before)
        next_query = params.urlencode()
    export_params = request.GET.copy()
    export_params.pop("before", None)
    context = {
        "form": form,
        "events": page,
        "next_query": next_query,
        "export_query": export_params.urlencode(),
        "is_first_page": before is None,
    }
    # htmx asks for fragments: "more" (it carries the cursor) replaces itself with the next rows; a filter
    # change replaces the results (table and the export link, which carries the filters).
    template = "audit/event_list.html"
    if request.htmx:
        template += "#rows" if before is not None else "#results"
    return render(request, template, context)


@dataclass(frozen=True)
class DiffRow:
    key: str
    label: str
    before: Any
    after: Any
    changed: bool


def _model_for(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, key: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def _label(field: models.Field[Any, Any] | None, key: str) -> str:
    return str(field.verbose_name) if field is not None else key


def _display(field: models.Field[Any, Any] | None, value: Any) -> Any:
    """A stored choice value shown with its label ("town" -> "乡镇 (town)"), a yes/no in Chinese, anything
    else as stored."""
    if isinstance(value, bool):
        # Not "True"/"False": the auditor reads Chinese.
        return _("是") if value else _("否")
    if field is None or not field.choices or not isinstance(value, str | int):
        return value
    label = dict(field.flatchoices).get(value)
    return f"{label} ({value})" if label is not None else value


def _diff_rows(event: AuditEvent) -> list[DiffRow]:
    """Before/after side by side, keys in a stable order, with the changed ones marked."""
    before, after = event.before, event.after
    model = _model_for(event.object_type)
    keys = sorted(before.keys() | after.keys())
    rows = []
    for key in keys:
        field = _field(model, key)
        rows.append(
            DiffRow(
                key=key,
                label=_label(field, key),
                before=_display(field, before.get(key, "")),
                after=_display(field, after.get(key, "")),
                changed=(key in before and key in after and before[key] != after[key]),
            )
        )
    return rows


@require_GET
@role_required(Role.AUDITOR)
def event_detail(request: HttpRequest, seq: int) -> HttpResponse:
    event = get_object_or_404(AuditEvent.objects.visible_to(current_user(request)), seq=seq)
    # The data minus before/after: details of security, reveal, export and login events.
    other = {
        key: json.dumps(value, ensure_ascii=False, indent=2) if isinstance(value, dict | list) else value
        for key, value in event.data.items()
        if key not in {"before", "after", "changed"}
    }
    actor_name = ""
    if event.actor_id is not None:
        actor = User.objects.filter(pk=event.actor_id).only("full_name", "username").first()
        actor_name = str(actor) if actor else ""
    context = {"event": event, "diff": _diff_rows(event), "other": other, "actor_name": actor_name}
    return render(request, "audit/event_detail.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.AUDITOR)
def verify(request: HtmxHttpRequest) -> HttpResponse:
    """GET shows the button; POST walks the whole chain and shows the result."""
    context: dict[str, Any] = {"result": None}
    if request.method == "POST":
        context = {"result": verify_chain(), "last_hash": last_hash(), "verified_at": timezone.now()}
    template = "audit/verify.html#result" if request.htmx else "audit/verify.html"
    return render(request, template, context)


@require_GET
@role_required(Role.AUDITOR)
def export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form, events = _filtered(request)
    if not form.is_valid():
        context = {"form": form, "events": [], "next_query": "", "export_query": "", "is_first_page": True}
        return render(request, "audit/event_list.html", context, status=400)
    user = current_user(request, required=True)
    result = export_events(
        by=user,
        events_to_export=events,
        region_code=form.cleaned_data.get("region", ""),
        request=request,
    )
    filename = f"audit-{timezone.localdate():%Y%m%d}.csv"
    response = StreamingHttpResponse(result.chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
