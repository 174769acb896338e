"""Likely duplicates on the page: listed in the town's scope side by side with masked IDs, resolved with a
note, never merged."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bangfu.accounts.models import User
from bangfu.registry.models import DuplicateCandidate, DuplicateStatus, Member
from tests.factories import DuplicateCandidateFactory, HouseholdFactory, MemberFactory
from tests.permissions import client_for

pytestmark = pytest.mark.django_db

WULI_VILLAGE = "610902100001"  # 五里村 of 五里镇: outside 老城街道


@pytest.fixture
def candidate(regions: Any) -> DuplicateCandidate:
    """Two 张伟 born the same day, in two households of 东关村."""
    a = MemberFactory(name="张伟", birth_date=date(1980, 2, 3))
    b = MemberFactory(name="张伟", birth_date=date(1980, 2, 3))
    return DuplicateCandidateFactory(member_a=a, member_b=b)


def text(response: Any) -> str:
    return str(response.content.decode())


def test_the_town_sees_both_members_side_by_side_with_masked_ids(
    candidate: DuplicateCandidate, town_officer: User
) -> None:
    elsewhere = HouseholdFactory(region_code=WULI_VILLAGE)
    DuplicateCandidateFactory(
        member_a=MemberFactory(household=elsewhere, name="李娜"),
        member_b=MemberFactory(household=elsewhere, name="李娜", relation="spouse"),
    )
    response = client_for(town_officer).get("/households/duplicates/")
    (row,) = response.context["rows"]
    assert row["candidate"] == candidate
    page = text(response)
    for member in (candidate.member_a, candidate.member_b):
        assert member.id_number not in page
        assert member.id_number[:6] + "********" + member.id_number[-4:] in page
        assert f'href="/households/{member.household_id}/"' in page
    assert "同一乡镇内姓名和出生日期相同" in page
    assert "李娜" not in page


def test_resolving_records_the_outcome_and_merges_nothing(
    candidate: DuplicateCandidate, town_officer: User
) -> None:
    response = client_for(town_officer).post(
        f"/households/duplicates/{candidate.pk}/resolve/",
        {"status": "not_duplicate", "note": "入户核实，为两人"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    candidate.refresh_from_db()
    assert (candidate.status, candidate.reviewed_by_id, candidate.review_note) == (
        DuplicateStatus.NOT_DUPLICATE,
        town_officer.pk,
        "入户核实，为两人",
    )
    page = text(response)
    assert "不是同一人" in page
    assert "<html" not in page
    # Both records are untouched: still two current members of their own households.
    assert Member.objects.filter(pk__in=[candidate.member_a_id, candidate.member_b_id]).current().count() == 2


def test_resolving_needs_a_note(candidate: DuplicateCandidate, county_clerk: User) -> None:
    client = client_for(county_clerk)
    response = client.post(
        f"/households/duplicates/{candidate.pk}/resolve/",
        {"status": "same_person", "note": ""},
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.OPEN
    assert "请填写核实说明。" in text(client.get(response["Location"]))


def test_resolved_pairs_are_listed_apart(candidate: DuplicateCandidate, town_officer: User) -> None:
    client = client_for(town_officer)
    client.post(
        f"/households/duplicates/{candidate.pk}/resolve/",
        {"status": "same_person", "note": "重复登记"},
    )
    assert client.get("/households/duplicates/").context["rows"] == []
    (row,) = client.get("/households/duplicates/?status=resolved").context["rows"]
    assert row["candidate"].status == DuplicateStatus.SAME_PERSON
