"""Inspection groups supervise their assigned counties (督查区域, DESIGN.md §1): their scope is their region
plus those counties, set by the security admin (county-level only, inspection groups only) and audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from bangfu.accounts import services
from bangfu.accounts.models import Role, User
from bangfu.accounts.tokens import create_token
from bangfu.regions.models import Region
from tests.accounts.flows import audit_events
from tests.conftest import REGION_TREE

pytestmark = pytest.mark.django_db

HANBIN = "610902000000"
XUNYANG = "610981000000"


@pytest.fixture
def assigned_inspector(security_admin: User, regions: dict[str, Region]) -> User:
    """An inspection group of 汉滨区 assigned 汉滨区 and 旬阳市, made through the service."""
    return services.create_user(
        by=security_admin,
        username="roving_group",
        role=Role.INSPECTION_GROUP,
        region=regions[HANBIN],
        assigned_regions=[regions[HANBIN], regions[XUNYANG]],
        full_name="巡回督导组",
        password="Inspect-pass-2026",
    )


def set_assigned(user: User, by: User, assigned: list[Region], **changes: Any) -> User:
    values: dict[str, Any] = {
        "role": user.role,
        "region": user.region,
        "sector": user.sector,
        "is_active": user.is_active,
        "full_name": user.full_name,
        "unit": user.unit,
        "assigned_regions": assigned,
        **changes,
    }
    return services.update_user(user=user, by=by, **values)


def test_inspector_assigned_hanbin_and_xunyang_sees_both_and_nothing_else(assigned_inspector: User) -> None:
    assert assigned_inspector.scope_prefixes() == ["610902", "610981"]
    visible = set(Region.objects.visible_to(assigned_inspector).values_list("code", flat=True))
    assert visible == {code for code, _name in REGION_TREE if code.startswith(("610902", "610981"))}
    assert {"610000000000", "610900000000"}.isdisjoint(visible)


def test_inspector_reads_a_village_of_an_assigned_county_through_the_api(assigned_inspector: User) -> None:
    raw = create_token(user=assigned_inspector, name="督查", by=None).raw
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/regions/610981100001").json()["name"] == "红军村"
    assert client.get("/api/v1/regions/610900000000").status_code == 404


def test_scope_prefixes_cost_one_query_and_are_cached_on_the_instance(
    assigned_inspector: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    user = User.objects.get(pk=assigned_inspector.pk)
    with django_assert_num_queries(1):
        assert user.scope_prefixes() == ["610902", "610981"]
        assert user.scope_prefixes() == ["610902", "610981"]


def test_other_roles_ignore_assignments_and_cost_no_query(
    village_cadre: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(0):
        assert village_cadre.scope_prefixes() == ["610902001001"]


def test_an_inspector_without_assignments_sees_its_own_region(inspector: User) -> None:
    assert inspector.scope_prefixes() == ["610902"]


def test_changing_assignments_is_audited_as_a_scope_change_and_takes_effect(
    security_admin: User, assigned_inspector: User, regions: dict[str, Region]
) -> None:
    assigned_inspector.scope_prefixes()  # fill the cache
    set_assigned(assigned_inspector, security_admin, [regions[XUNYANG]])
    assert assigned_inspector.scope_prefixes() == ["610902", "610981"]
    set_assigned(assigned_inspector, security_admin, [])
    assert assigned_inspector.scope_prefixes() == ["610902"]
    assert User.objects.get(pk=assigned_inspector.pk).scope_prefixes() == ["610902"]
    changes = [e for e in audit_events("security") if e.operation == "scope_changed"]
    assert [e.data["detail"] for e in changes] == [
        {
            "before": {"assigned_regions": [HANBIN, XUNYANG]},
            "after": {"assigned_regions": [XUNYANG]},
        },
        {"before": {"assigned_regions": [XUNYANG]}, "after": {"assigned_regions": []}},
    ]
    [created] = [e for e in audit_events("security") if e.operation == "user_created"]
    assert created.data["detail"]["after"]["assigned_regions"] == [HANBIN, XUNYANG]


def test_only_county_level_regions_may_be_assigned(
    security_admin: User, inspector: User, regions: dict[str, Region]
) -> None:
    with pytest.raises(ValidationError) as exc:
        set_assigned(inspector, security_admin, [regions["610902001000"], regions["610900000000"]])
    assert exc.value.message_dict == {"assigned_regions": ["督查区域必须是县级区划，老城街道、安康市不是。"]}
    assert list(inspector.assigned_regions.all()) == []
    assert audit_events("security") == []


def test_only_inspection_groups_are_assigned_counties(
    security_admin: User, village_cadre: User, assigned_inspector: User, regions: dict[str, Region]
) -> None:
    with pytest.raises(ValidationError) as exc:
        set_assigned(village_cadre, security_admin, [regions[XUNYANG]])
    assert exc.value.message_dict == {"assigned_regions": ["只有督查组用户设置督查区域。"]}
    # An inspector moved to another role must give up its counties in the same edit.
    with pytest.raises(ValidationError):
        services.update_user(
            user=assigned_inspector,
            by=security_admin,
            role=Role.COUNTY_OFFICE,
            region=regions[HANBIN],
            sector="",
            is_active=True,
            full_name="x",
            unit="",
        )
    assigned_inspector.refresh_from_db()
    assert assigned_inspector.role == "inspection_group"
    assert sorted(assigned_inspector.assigned_regions.values_list("code", flat=True)) == [HANBIN, XUNYANG]


# --- the security admin's form -----------------------------------------------------------------------------


def edit_data(user: User, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "full_name": user.full_name,
        "unit": user.unit,
        "role": user.role,
        "region": user.region_id or "",
        "is_active": "on",
        **changes,
    }
    return {key: value for key, value in data.items() if value != ""}


def test_security_admin_assigns_counties_on_the_edit_page(
    otp_client: Callable[[User], Client], security_admin: User, inspector: User
) -> None:
    client = otp_client(security_admin)
    page = client.get(f"/accounts/users/{inspector.pk}/")
    offered = [str(value) for value, _label in page.context["form"].fields["assigned_regions"].choices]
    assert offered == [HANBIN, XUNYANG]
    assert "安康市 · 旬阳市" in page.content.decode()
    response = client.post(
        f"/accounts/users/{inspector.pk}/", edit_data(inspector, assigned_regions=[XUNYANG])
    )
    assert response.status_code == 302
    assert list(User.objects.get(pk=inspector.pk).assigned_regions.values_list("code", flat=True)) == [
        XUNYANG
    ]
    page = client.get(f"/accounts/users/{inspector.pk}/")
    assert page.context["form"].initial["assigned_regions"] == [XUNYANG]


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["610902001000"], "督查区域必须是已加载的县级区划代码：610902001000"),
        (["999999000000"], "督查区域必须是已加载的县级区划代码：999999000000"),
        (["汉滨区"], "督查区域必须是已加载的县级区划代码：汉滨区"),
    ],
)
def test_edit_page_names_a_wrong_county(
    otp_client: Callable[[User], Client],
    security_admin: User,
    inspector: User,
    codes: list[str],
    message: str,
) -> None:
    response = otp_client(security_admin).post(
        f"/accounts/users/{inspector.pk}/", edit_data(inspector, assigned_regions=codes)
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"assigned_regions": [message]}
    assert list(inspector.assigned_regions.all()) == []


def test_create_page_assigns_counties_to_a_new_inspection_group(
    otp_client: Callable[[User], Client], security_admin: User, regions: dict[str, Region]
) -> None:
    response = otp_client(security_admin).post(
        "/accounts/users/new/",
        {
            "username": "listed_group",
            "full_name": "挂牌督战组",
            "role": "inspection_group",
            "region": "610900000000",
            "assigned_regions": [HANBIN, XUNYANG],
        },
    )
    assert response.status_code == 200
    user = User.objects.get(username="listed_group")
    assert sorted(user.assigned_regions.values_list("code", flat=True)) == [HANBIN, XUNYANG]


def test_create_page_refuses_counties_for_other_roles(
    otp_client: Callable[[User], Client], security_admin: User, regions: dict[str, Region]
) -> None:
    response = otp_client(security_admin).post(
        "/accounts/users/new/",
        {
            "username": "town_clerk",
            "full_name": "乡镇干部",
            "role": "town",
            "region": "610902001000",
            "assigned_regions": [XUNYANG],
        },
    )
    assert response.context["form"].errors == {"assigned_regions": ["只有督查组用户设置督查区域。"]}
    assert not User.objects.filter(username="town_clerk").exists()
