"""Likely duplicates (疑似重复人员): pairs of members the finder listed, for the town and above to decide.

Nothing is ever merged here: the reviewer records 不是同一人 or 确认为同一人 with a note
(``duplicates.resolve_duplicate``); fixing a confirmed duplicate is then an ordinary edit (a member leaves
with the reason 重复登记), made by whoever may make it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from bangfu.accounts.models import User
from bangfu.accounts.permissions import current_user
from bangfu.core.htmx import HtmxHttpRequest
from bangfu.core.masking import mask_id_number
from bangfu.regions.models import Region
from bangfu.regions.scoping import get_for_user
from bangfu.registry import access
from bangfu.registry.duplicates import resolve_duplicate
from bangfu.registry.forms import DuplicateResolveForm
from bangfu.registry.models import DuplicateCandidate, DuplicateStatus, Member
from bangfu.registry.services import RegistryRefused

PAGE_SIZE = 30


def _resolver(request: HttpRequest) -> User:
    user = current_user(request, required=True)
    if not access.can_resolve_duplicates(user):
        raise PermissionDenied(_("疑似重复人员由乡镇及以上核实。"))
    return user


def _auto_id(candidate: DuplicateCandidate) -> str:
    # Every pair on the page has its own form: element ids carry the pair so that labels stay unique.
    return f"id_dup{candidate.pk}_%s"


def _side(member: Member, names: dict[str, str]) -> dict[str, Any]:
    return {
        "member": member,
        "household": member.household,
        "masked_id": mask_id_number(member.id_number),
        "village": names.get(member.region_code, member.region_code),
    }


def _rows(candidates: list[DuplicateCandidate]) -> list[dict[str, Any]]:
    codes = {c.member_a.region_code for c in candidates} | {c.member_b.region_code for c in candidates}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    return [
        {
            "candidate": c,
            "a": _side(c.member_a, names),
            "b": _side(c.member_b, names),
            "form": DuplicateResolveForm(auto_id=_auto_id(c)),
        }
        for c in candidates
    ]


@login_required
@require_GET
def duplicate_list(request: HtmxHttpRequest) -> HttpResponse:
    """Open candidates in the user's scope, oldest first, both members side by side (IDs masked); a keyset
    page ("加载更多" appends the next rows via htmx)."""
    user = _resolver(request)
    show_resolved = request.GET.get("status") == "resolved"
    after_text = request.GET.get("after", "")
    after = int(after_text) if after_text.isascii() and after_text.isdigit() else None
    candidates = DuplicateCandidate.objects.visible_to(user).select_related(
        "member_a__household", "member_b__household", "reviewed_by"
    )
    if show_resolved:
        candidates = candidates.exclude(status=DuplicateStatus.OPEN).order_by("-pk")
        if after is not None:
            candidates = candidates.filter(pk__lt=after)
    else:
        candidates = candidates.filter(status=DuplicateStatus.OPEN).order_by("pk")
        if after is not None:
            candidates = candidates.filter(pk__gt=after)
    page = list(candidates[: PAGE_SIZE + 1])
    next_after = page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else None
    page = page[:PAGE_SIZE]
    params = request.GET.copy()
    params.pop("after", None)
    if next_after is not None:
        params["after"] = str(next_after)
    context = {
        "rows": _rows(page),
        "show_resolved": show_resolved,
        "next_query": params.urlencode() if next_after is not None else "",
        "is_first_page": after is None,
    }
    template = (
        "registry/duplicate_list.html#rows"
        if request.htmx and after is not None
        else ("registry/duplicate_list.html")
    )
    return render(request, template, context)


@login_required
@require_POST
def duplicate_resolve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Record the reviewer's decision on one pair. With htmx the pair's row is replaced by the outcome."""
    user = _resolver(request)
    candidate = get_for_user(
        DuplicateCandidate.objects.select_related("member_a__household", "member_b__household"), user, pk=pk
    )
    form = DuplicateResolveForm(request.POST, auto_id=_auto_id(candidate))
    error = ""
    invalid = False
    if candidate.status != DuplicateStatus.OPEN:
        error = _("这一对已经核实过了。")
    elif not form.is_valid():
        invalid = True
        # Each message is a sentence of its own (“……。”): run together, not joined with "；".
        error = "".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        try:
            resolve_duplicate(
                candidate=candidate,
                by=user,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except RegistryRefused as exc:
            error = str(exc)
    candidate.refresh_from_db()
    if request.htmx:
        row = _rows([candidate])[0]
        if error:
            row["form"] = form
        # The form's own errors stand beside their fields: the alert above them is for the others.
        shown = "" if invalid else error
        return render(request, "registry/duplicate_list.html#row", {"row": row, "error": shown})
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request, _("已记录核实结果：%(status)s。") % {"status": candidate.get_status_display()}
        )
    return redirect("registry:duplicate-list")
