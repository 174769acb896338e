"""Members through the services: joining, identity and detail edits by role, the head, leaving."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.core.crypto import blind_index
from bangfu.registry import services
from bangfu.registry.models import Household, Member
from tests.factories import synthetic_id_number

ON = date(2026, 3, 1)
DONGGUAN = "610902001001"


def person(
    name: str, *, birth: date, sex: str = "male", relation: str = "head", serial: int = 1
) -> dict[str, Any]:
    return {
        "name": name,
        "id_number": synthetic_id_number(birth=birth, sex=sex, serial=serial),
        "sex": sex,
        "birth_date": birth,
        "relation": relation,
    }


@pytest.fixture
def household(town_officer: User) -> Household:
    return services.create_household(
        by=town_officer,
        values={"region_code": DONGGUAN, "household_number": "610902001001000001"},
        members=[
            person("王建国", birth=date(1970, 5, 1), serial=11),
            person("李秀英", birth=date(1972, 8, 9), sex="female", relation="spouse", serial=12),
            person("王小明", birth=date(2000, 1, 2), relation="son", serial=13),
        ],
        on=ON,
    )


def member(household: Household, name: str) -> Member:
    return household.members.get(name=name)


def events_of(obj: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("seq")
    )


@pytest.mark.django_db
class TestAddMember:
    def test_a_newborn_joins_on_the_day_given(self, household: Household, town_officer: User) -> None:
        baby = services.add_member(
            household=household,
            by=town_officer,
            values={
                "name": "王乐乐",
                "sex": "female",
                "birth_date": date(2026, 2, 1),
                "relation": "granddaughter",
            },
            on=ON,
        )
        assert (baby.region_code, baby.joined_on, baby.id_number, baby.id_number_index) == (
            DONGGUAN,
            ON,
            "",
            "",
        )
        assert [e.action for e in events_of(baby)] == ["create"]

    def test_an_explicit_empty_join_date_means_always(self, household: Household, town_officer: User) -> None:
        found = services.add_member(
            household=household,
            by=town_officer,
            values={
                **person("王秀兰", birth=date(1940, 1, 1), sex="female", relation="mother", serial=14),
                "joined_on": None,
            },
            on=ON,
        )
        assert found.joined_on is None

    def test_a_second_head_is_refused(self, household: Household, town_officer: User) -> None:
        with pytest.raises(services.RegistryRefused, match="该户有多名户主：王建国、王二"):
            services.add_member(
                household=household,
                by=town_officer,
                values=person("王二", birth=date(1975, 1, 1), serial=15),
                on=ON,
            )
        assert household.members.count() == 3

    def test_village_cadre_is_refused(self, household: Household, village_cadre: User) -> None:
        with pytest.raises(PermissionDenied, match="请提交变更申请"):
            services.add_member(
                household=household,
                by=village_cadre,
                values=person("王三", birth=date(2010, 1, 1), relation="grandson", serial=16),
                on=ON,
            )
        assert household.members.count() == 3

    def test_id_of_a_current_member_elsewhere_is_refused(
        self, household: Household, town_officer: User
    ) -> None:
        other = services.create_household(
            by=town_officer,
            values={"region_code": "610902001002", "household_number": "610902001002000001"},
            members=[person("赵六", birth=date(1980, 3, 3), serial=30)],
            on=ON,
        )
        with pytest.raises(
            services.RegistryRefused, match=r"已登记在户编号 610902001002000001（西关村，户主赵六）"
        ):
            services.add_member(
                household=household,
                by=town_officer,
                values=person("赵六", birth=date(1980, 3, 3), relation="other", serial=30),
                on=ON,
            )
        assert other.members.count() == 1
        assert household.members.count() == 3


@pytest.mark.django_db
class TestUpdateMember:
    def test_village_cadre_updates_details_directly(self, household: Household, village_cadre: User) -> None:
        son = member(household, "王小明")
        services.update_member(
            member=son,
            by=village_cadre,
            values={"health": "chronic", "labour_capacity": "weak", "resident_medical_insurance": True},
            on=ON,
        )
        son.refresh_from_db()
        assert (son.health, son.labour_capacity, son.resident_medical_insurance) == ("chronic", "weak", True)
        event = events_of(son)[-1]
        assert (event.actor_username, event.data["changed"]) == (
            "village_cadre",
            ["health", "labour_capacity", "resident_medical_insurance"],
        )

    @pytest.mark.parametrize(
        "values",
        [
            {"name": "王晓明"},
            {"birth_date": date(2000, 1, 3)},
            {"relation": "grandson"},
            {"ethnicity": "回族"},
        ],
    )
    def test_village_cadre_cannot_change_identity(
        self, household: Household, village_cadre: User, values: dict[str, Any]
    ) -> None:
        son = member(household, "王小明")
        count = AuditEvent.objects.count()
        with pytest.raises(PermissionDenied, match="请提交变更申请"):
            services.update_member(member=son, by=village_cadre, values=values, on=ON)
        son.refresh_from_db()
        assert (son.name, son.birth_date, son.relation, son.ethnicity) == (
            "王小明",
            date(2000, 1, 2),
            "son",
            "汉族",
        )
        assert AuditEvent.objects.count() == count

    def test_correcting_the_id_number_recomputes_the_index(
        self, household: Household, town_officer: User
    ) -> None:
        son = member(household, "王小明")
        corrected = synthetic_id_number(birth=date(2000, 1, 2), sex="male", serial=77)
        services.update_member(member=son, by=town_officer, values={"id_number": corrected}, on=ON)
        son.refresh_from_db()
        assert son.id_number_index == blind_index(corrected, kind="id_number")
        event = events_of(son)[-1]
        assert event.data["changed"] == ["id_number", "id_number_index"]
        assert event.data["after"]["id_number"] == corrected[:6] + "********" + corrected[-4:]

    def test_id_that_contradicts_the_birth_date_is_refused(
        self, household: Household, town_officer: User
    ) -> None:
        son = member(household, "王小明")
        wrong = synthetic_id_number(birth=date(2001, 1, 2), sex="male", serial=77)
        with pytest.raises(
            services.RegistryRefused, match="出生日期 2000-01-02 与身份证号码中的出生日期 2001-01-02 不一致"
        ):
            services.update_member(member=son, by=town_officer, values={"id_number": wrong}, on=ON)

    def test_making_another_member_head_needs_the_former_heads_new_relation(
        self, household: Household, town_officer: User
    ) -> None:
        son = member(household, "王小明")
        with pytest.raises(services.RegistryRefused, match="该户已有户主王建国"):
            services.update_member(member=son, by=town_officer, values={"relation": "head"}, on=ON)

        services.update_member(
            member=son, by=town_officer, values={"relation": "head"}, on=ON, former_head_relation="father"
        )
        assert dict(household.members.values_list("name", "relation")) == {
            "王建国": "father",
            "李秀英": "spouse",
            "王小明": "head",
        }
        father = member(household, "王建国")
        assert events_of(father)[-1].data["after"] == {"relation": "father"}

    def test_demoting_the_only_head_is_refused(self, household: Household, town_officer: User) -> None:
        head = member(household, "王建国")
        with pytest.raises(services.RegistryRefused, match="该户没有户主"):
            services.update_member(member=head, by=town_officer, values={"relation": "father"}, on=ON)


@pytest.mark.django_db
class TestMemberLeaves:
    def test_a_member_leaves_and_the_row_is_kept(self, household: Household, town_officer: User) -> None:
        son = member(household, "王小明")
        services.member_leaves(member=son, by=town_officer, left_on=date(2026, 1, 20), reason="married_out")
        son.refresh_from_db()
        assert (son.left_on, son.left_reason) == (date(2026, 1, 20), "married_out")
        assert list(household.members.current().values_list("name", flat=True).order_by("pk")) == [
            "王建国",
            "李秀英",
        ]
        assert events_of(son)[-1].data["changed"] == ["left_on", "left_reason"]

    def test_the_head_leaving_needs_a_new_head(self, household: Household, town_officer: User) -> None:
        head = member(household, "王建国")
        with pytest.raises(services.RegistryRefused, match="户主离户时须指定本户的新户主"):
            services.member_leaves(member=head, by=town_officer, left_on=date(2026, 1, 20), reason="died")
        head.refresh_from_db()
        assert head.left_on is None

        spouse = member(household, "李秀英")
        services.member_leaves(
            member=head, by=town_officer, left_on=date(2026, 1, 20), reason="died", new_head=spouse
        )
        spouse.refresh_from_db()
        assert spouse.relation == "head"

    def test_leaving_twice_and_a_bad_reason_are_refused(
        self, household: Household, town_officer: User
    ) -> None:
        son = member(household, "王小明")
        with pytest.raises(services.RegistryRefused, match="离户原因无效：lost"):
            services.member_leaves(member=son, by=town_officer, left_on=date(2026, 1, 20), reason="lost")
        services.member_leaves(member=son, by=town_officer, left_on=date(2026, 1, 20), reason="died")
        with pytest.raises(services.RegistryRefused, match="王小明已于2026-01-20离户"):
            services.member_leaves(member=son, by=town_officer, left_on=date(2026, 1, 21), reason="died")

    def test_village_cadre_cannot_record_a_departure(self, household: Household, village_cadre: User) -> None:
        son = member(household, "王小明")
        with pytest.raises(PermissionDenied):
            services.member_leaves(member=son, by=village_cadre, left_on=date(2026, 1, 20), reason="died")
        son.refresh_from_db()
        assert son.left_on is None


@pytest.mark.django_db
def test_an_old_flaw_elsewhere_does_not_block_a_detail_update(
    household: Household, village_cadre: User
) -> None:
    son = member(household, "王小明")
    # An imported record whose birth date contradicts its ID number (the import only warned, say).
    Member.objects.filter(pk=son.pk).update(birth_date=date(2000, 1, 3))
    son.refresh_from_db()
    services.update_member(member=son, by=village_cadre, values={"school_status": "undergraduate"}, on=ON)
    son.refresh_from_db()
    assert son.school_status == "undergraduate"
