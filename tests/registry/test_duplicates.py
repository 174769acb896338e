"""Likely duplicate people: found by one self-join per run, listed, decided by the town, never merged."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.registry import duplicates, services
from bangfu.registry.models import DuplicateCandidate, Member
from tests.factories import HouseholdFactory, MemberFactory

BIRTH = date(1980, 5, 6)
DONGGUAN, XIGUAN, WULI = "610902001001", "610902001002", "610902100001"


def member(
    name: str, *, village: str = DONGGUAN, birth: date = BIRTH, with_id: bool = True, **extra: Any
) -> Member:
    household = extra.pop("household", None) or HouseholdFactory(region_code=village)
    values: dict[str, Any] = {"household": household, "name": name, "birth_date": birth, **extra}
    if not with_id:
        values |= {"id_number": "", "id_number_index": ""}
    return MemberFactory(**values)


@pytest.mark.parametrize(
    ("a", "b", "score"),
    [
        ("王明", "汪明", 100),
        ("张小红", "张晓红", 100),
        ("张三", "张山", 94),
        ("王明", "王敏", 93),
        ("李小红", "李小华", 73),
        ("刘伟", "李伟", 90),
        ("王明", "李强", 40),
    ],
)
def test_name_similarity(a: str, b: str, score: int) -> None:
    assert duplicates.name_similarity(a, b) == score


def test_threshold_is_documented_value() -> None:
    assert duplicates.SIMILAR_NAME_THRESHOLD == 85


@pytest.mark.django_db
class TestFindDuplicates:
    def test_finds_exactly_the_expected_pairs(self, regions: object) -> None:
        same_a = member("王明")
        same_b = member("王明", village=XIGUAN)  # another village of the same town
        homophone = member("汪明", with_id=False)
        member("李强")  # same birth date and town, a different name: a different person
        member("王明", village=WULI)  # same name and birth date, another town
        member("王明", birth=date(1980, 5, 7))  # another birth date
        member("王明", left_on=date(2025, 1, 1), left_reason="moved_out")  # no longer a member
        xiaohong = member("张小红", birth=date(1990, 1, 1))
        xiaohong_2 = member("张晓红", birth=date(1990, 1, 1), village=XIGUAN)

        assert duplicates.find_duplicates(prefix="610902") == 4

        town = "610902001000"
        found = sorted(
            (c.member_a_id, c.member_b_id, c.region_code, c.reason, c.score)
            for c in DuplicateCandidate.objects.all()
        )
        assert found == [
            (same_a.pk, same_b.pk, town, "same_name_birth", 100),
            (same_a.pk, homophone.pk, town, "similar_name", 100),
            (same_b.pk, homophone.pk, town, "similar_name", 100),
            (xiaohong.pk, xiaohong_2.pk, town, "similar_name", 100),
        ]
        ids = [(a, b) for a, b, *_rest in found]
        assert all(a < b for a, b in ids)

    def test_twins_with_their_own_ids_are_not_listed(self, regions: object) -> None:
        household = HouseholdFactory()
        member("张小红", household=household, relation="daughter")
        member("张小虹", household=household, relation="daughter")
        assert duplicates.find_duplicates(prefix="") == 0
        member("张小红", household=household, relation="daughter")
        assert duplicates.find_duplicates(prefix="") == 1
        assert {c.reason for c in DuplicateCandidate.objects.all()} == {"same_name_birth"}

    def test_rerun_keeps_decisions_and_drops_stale_open_pairs(
        self, regions: object, town_officer: User
    ) -> None:
        a, b = member("王明"), member("王明", village=XIGUAN)
        c, d = member("刘伟", birth=date(1970, 1, 1)), member("刘伟", birth=date(1970, 1, 1))
        duplicates.find_duplicates(prefix="6109")
        decided = DuplicateCandidate.objects.get(member_a=a, member_b=b)
        duplicates.resolve_duplicate(
            candidate=decided, by=town_officer, status="not_duplicate", note="两人，身份证不同"
        )
        Member.objects.filter(pk=d.pk).update(name="刘卫东")

        assert duplicates.find_duplicates(prefix="6109") == 1

        decided.refresh_from_db()
        assert (decided.status, decided.review_note) == ("not_duplicate", "两人，身份证不同")
        assert not DuplicateCandidate.objects.filter(member_a=c).exists()
        assert DuplicateCandidate.objects.count() == 1

    def test_a_village_run_does_not_drop_pairs_across_villages(self, regions: object) -> None:
        member("王明")
        member("王明", village=XIGUAN)
        duplicates.find_duplicates(prefix="610902001")
        assert duplicates.find_duplicates(prefix=DONGGUAN) == 0
        assert DuplicateCandidate.objects.count() == 1

    def test_query_count_does_not_grow_with_the_data(
        self, regions: object, django_assert_max_num_queries: Any
    ) -> None:
        for number in range(30):
            member("王明" if number % 2 else "汪明", birth=date(1980, 1, 1 + number % 3))
        # select pairs, existing candidates, one bulk insert, in a savepoint: bounded whatever the size.
        with django_assert_max_num_queries(6):
            found = duplicates.find_duplicates(prefix="610902")
        # Ten people on each of three birth dates: 45 pairs per date.
        assert found == 135
        assert DuplicateCandidate.objects.count() == 135


@pytest.mark.django_db
class TestResolveDuplicate:
    def test_town_resolves_with_a_note_and_it_is_audited(self, regions: object, town_officer: User) -> None:
        member("王明")
        member("王明")
        duplicates.find_duplicates(prefix="")
        candidate = DuplicateCandidate.objects.get()
        duplicates.resolve_duplicate(
            candidate=candidate, by=town_officer, status="same_person", note="重复录入，注销后者"
        )
        candidate.refresh_from_db()
        assert (candidate.status, candidate.reviewed_by, candidate.review_note) == (
            "same_person",
            town_officer,
            "重复录入，注销后者",
        )
        assert Member.objects.current().count() == 2  # never merged
        (event,) = AuditEvent.objects.filter(object_type="registry.duplicatecandidate")
        assert event.data["before"] == {"status": "open", "review_note": "", "reviewed_by": None}
        assert event.data["after"] == {
            "status": "same_person",
            "review_note": "重复录入，注销后者",
            "reviewed_by": town_officer.pk,
        }
        assert event.region_code == "610902001000"

    def test_village_cadre_and_other_towns_cannot_resolve(
        self, regions: Any, village_cadre: User, other_county_clerk: User
    ) -> None:
        member("王明")
        member("王明")
        duplicates.find_duplicates(prefix="")
        candidate = DuplicateCandidate.objects.get()
        with pytest.raises(PermissionDenied, match="只有乡镇及以上用户"):
            duplicates.resolve_duplicate(
                candidate=candidate, by=village_cadre, status="not_duplicate", note="x"
            )
        with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
            duplicates.resolve_duplicate(
                candidate=candidate, by=other_county_clerk, status="not_duplicate", note="x"
            )
        candidate.refresh_from_db()
        assert candidate.status == "open"

    def test_note_and_status_are_checked(self, regions: object, county_clerk: User) -> None:
        member("王明")
        member("王明")
        duplicates.find_duplicates(prefix="")
        candidate = DuplicateCandidate.objects.get()
        with pytest.raises(services.RegistryRefused) as caught:
            duplicates.resolve_duplicate(candidate=candidate, by=county_clerk, status="merged", note="")
        assert [p.message for p in caught.value.problems] == ["核实结果无效：merged", "请填写核实说明"]


@pytest.mark.django_db
def test_nightly_job_lists_duplicates_everywhere(regions: object) -> None:
    from bangfu.registry import jobs

    member("王明")
    member("王明", village="610981100001")
    member("王明", village="610981100001")
    result = jobs.find_duplicate_members.enqueue()
    assert result.return_value == 1
    assert DuplicateCandidate.objects.get().region_code == "610981100000"
