"""Regions API: one region and its children, within the caller's scope (GET /regions/{code}[/children])."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import AuthorizationError

from bangfu.core.schemas import ErrorOut
from bangfu.regions.models import Region
from bangfu.regions.scoping import get_for_user

router = Router(tags=["regions"])

ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_name: str
    parent_code: str | None

    @staticmethod
    def of(region: Region) -> RegionOut:
        return RegionOut(
            code=region.code,
            name=region.name,
            level=region.level,
            level_name=str(region.get_level_display()),
            parent_code=region.parent_id,
        )


def _visible_region(request: HttpRequest, code: str) -> Region:
    """The region if the caller may see it; 403 for the administrator roles (三员), 404 outside the scope."""
    user = request.user
    if getattr(user, "is_admin_role", False):
        raise AuthorizationError(403, _("管理员角色不能查看业务数据。"))
    # get_for_user raises Http404, answered as {"code": "not_found", …} by the API's handler.
    return get_for_user(Region.objects.all(), user, code=code)


@router.get("/regions/{code}", response={200: RegionOut, **ERRORS}, summary="区域")
def get_region(request: HttpRequest, code: str) -> Any:
    """One region by its 12-digit code; 404 when it does not exist or is outside the caller's scope."""
    return RegionOut.of(_visible_region(request, code))


@router.get("/regions/{code}/children", response={200: list[RegionOut], **ERRORS}, summary="下级区域")
def list_children(request: HttpRequest, code: str) -> Any:
    """The direct children of a region, by code (at most a few hundred: the largest town has 170 villages)."""
    region = _visible_region(request, code)
    children = Region.objects.visible_to(request.user).filter(parent=region).order_by("code")
    return [RegionOut.of(child) for child in children]
