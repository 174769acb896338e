"""Shared fixtures: a small region tree inside the demo city 安康市 (6109) and one persona per role.

The tree: 陕西省 > 安康市 > 汉滨区 > 两个镇 > villages, plus 旬阳市, so that every persona has a neighbour
whose data it must not see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from bangfu.accounts.models import Role, Sector, User
from bangfu.regions.models import Region
from tests.factories import TEST_PASSWORD, UserFactory

REGION_TREE = [
    ("610000000000", "陕西省"),
    ("610900000000", "安康市"),
    ("610902000000", "汉滨区"),
    ("610902001000", "老城街道"),
    ("610902001001", "东关村"),
    ("610902001002", "西关村"),
    ("610902100000", "五里镇"),
    ("610902100001", "五里村"),
    ("610981000000", "旬阳市"),
    ("610981100000", "城关镇"),
    ("610981100001", "红军村"),
]


@pytest.fixture
def regions(db: None) -> dict[str, Region]:
    """The small tree above, keyed by code; parents are created before children."""
    from bangfu.regions.codes import parent_code

    made: dict[str, Region] = {}
    for code, name in REGION_TREE:
        parent = parent_code(code)
        made[code] = Region.objects.create(code=code, name=name, parent=made.get(parent) if parent else None)
    return made


def _persona(username: str, role: str, region: Region | None, **extra: object) -> User:
    return UserFactory(username=username, role=role, region=region, full_name=username, **extra)


@pytest.fixture
def password() -> str:
    return TEST_PASSWORD


@pytest.fixture
def city_hq(regions: dict[str, Region]) -> User:
    return _persona("city_hq", Role.CITY_HQ, regions["610900000000"])


@pytest.fixture
def county_clerk(regions: dict[str, Region]) -> User:
    return _persona("county_clerk", Role.COUNTY_OFFICE, regions["610902000000"])


@pytest.fixture
def other_county_clerk(regions: dict[str, Region]) -> User:
    return _persona("other_county_clerk", Role.COUNTY_OFFICE, regions["610981000000"])


@pytest.fixture
def town_officer(regions: dict[str, Region]) -> User:
    return _persona("town_officer", Role.TOWN, regions["610902001000"])


@pytest.fixture
def village_cadre(regions: dict[str, Region]) -> User:
    return _persona("village_cadre", Role.VILLAGE_TEAM, regions["610902001001"])


@pytest.fixture
def other_village_cadre(regions: dict[str, Region]) -> User:
    return _persona("other_village_cadre", Role.VILLAGE_TEAM, regions["610902001002"])


@pytest.fixture
def department_user(regions: dict[str, Region]) -> User:
    return _persona(
        "medical_clerk", Role.DEPARTMENT, regions["610902000000"], sector=Sector.MEDICAL_INSURANCE
    )


@pytest.fixture
def inspector(regions: dict[str, Region]) -> User:
    return _persona("inspector", Role.INSPECTION_GROUP, regions["610902000000"])


@pytest.fixture
def auditor(db: None) -> User:
    return _persona("auditor", Role.AUDITOR, None)


@pytest.fixture
def security_admin(db: None) -> User:
    return _persona("security_admin", Role.SECURITY_ADMIN, None)


@pytest.fixture
def system_admin(db: None) -> User:
    return _persona("system_admin", Role.SYSTEM_ADMIN, None)


@pytest.fixture(autouse=True)
def _chinese_after_each_test() -> Iterator[None]:
    """A request activates its language for the thread (English via the cookie); the next test starts in
    Chinese, as gettext outside a request would in production."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise PermissionMatrix subclasses over their ``routes`` (tests/permissions.py)."""
    routes = getattr(metafunc.cls, "routes", None)
    if routes and "route" in metafunc.fixturenames:
        metafunc.parametrize("route", routes, ids=[str(r) for r in routes])


@pytest.fixture
def otp_client(db: None) -> Callable[[User], Client]:
    """``otp_client(user)``: a test Client logged in as ``user`` whose session passed TOTP (with a
    confirmed device), for tests of pages behind the admin roles' second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def make(user: User) -> Client:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        client = Client()
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return make
