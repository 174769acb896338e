"""The village notice is signed by the village committee under its own name: a village named as in the
statistical code tables (``…村委会``, ``…社区居委会``) is not called ``…村委会村民委员会``."""

from __future__ import annotations

import pytest
from django.test import Client

from bangfu.accounts.models import User
from bangfu.monitoring.models import Notice, NoticeKind
from bangfu.regions.models import Region
from tests.factories import HouseholdFactory, MemberFactory, monitored_case

pytestmark = pytest.mark.django_db

VILLAGE = "610902001001"


@pytest.mark.parametrize(
    ("name", "issuer"),
    [("东关村委会", "东关村委会"), ("东关社区居委会", "东关社区居委会"), ("东关村", "东关村村民委员会")],
)
def test_the_village_notice_is_signed_by_the_committee_once(
    regions: object, village_cadre: User, town_officer: User, county_clerk: User, name: str, issuer: str
) -> None:
    Region.objects.filter(code=VILLAGE).update(name=name)
    household = MemberFactory(household=HouseholdFactory()).household
    monitored_case(household, village=village_cadre, town=town_officer, county=county_clerk)
    notice = Notice.objects.get(region_code=VILLAGE, kind=NoticeKind.IDENTIFICATION)
    assert notice.issuer == issuer
    page = Client().get(f"/notice/{notice.pk}/").content.decode()
    assert issuer in page
    assert "委会村民委员会" not in page
