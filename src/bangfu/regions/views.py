"""Region pages: the region browser and the picker's fragment. Thin: scope, query, render."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from bangfu.accounts.models import BUSINESS_ROLES
from bangfu.accounts.permissions import role_required
from bangfu.regions.codes import is_valid_code
from bangfu.regions.models import Region
from bangfu.regions.picker import build_picker, scope_root_code
from bangfu.regions.scoping import code_visible_to, get_for_user

CHILDREN_PER_PAGE = 50
# The picker's field name travels in the fragment request; only plain form-field names are accepted.
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,49}")


@role_required(*BUSINESS_ROLES)
def my_region(request: HttpRequest) -> HttpResponse:
    """/regions/: the region picked with the picker (``?region=``) if visible, else the user's own scope."""
    root_code = scope_root_code(request.user)
    if root_code is None:
        raise PermissionDenied(_("您的账号没有设置管辖区域，请联系安全管理员。"))
    picked = request.GET.get("region", "")
    code = picked if is_valid_code(picked) and code_visible_to(request.user, picked) else root_code
    return redirect("regions:detail", code=code)


@role_required(*BUSINESS_ROLES)
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A region, its breadcrumb and its children (paginated); 404 outside the user's scope."""
    region = get_for_user(Region.objects.all(), request.user, code=code)
    children = (
        Region.objects.visible_to(request.user)
        .filter(parent=region)
        .annotate(child_count=Count("children"))
        .order_by("code")
    )
    page = Paginator(children, CHILDREN_PER_PAGE).get_page(request.GET.get("page"))
    if getattr(request, "htmx", False):
        return render(request, "regions/region_detail.html#children", {"region": region, "page": page})
    picker = build_picker(user=request.user, value=region.code)
    return render(request, "regions/region_detail.html", {"region": region, "page": page, "picker": picker})


@role_required(*BUSINESS_ROLES)
def picker_children(request: HttpRequest) -> HttpResponse:
    """The picker re-rendered for the code just picked (htmx fragment); 404 for a code outside the scope."""
    name = request.GET.get("field", "region")
    if not FIELD_NAME.fullmatch(name):
        raise Http404(_("字段名无效。"))
    value = request.GET.get(name, "")
    if value:
        # The same check as the pages: a code outside the scope is "not found", never rendered.
        get_for_user(Region.objects.all(), request.user, code=value)
    return render(
        request, "regions/picker.html", {"picker": build_picker(user=request.user, value=value, name=name)}
    )
