"""Change requests (审核制): the village proposes; the town approves via the direct services, or rejects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.registry import services
from bangfu.registry.models import ChangeRequest, ChangeStatus, Household, IncomeStatement, Member
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
        "birth_date": birth.isoformat(),
        "relation": relation,
    }


@pytest.fixture
def household(town_officer: User) -> Household:
    return services.create_household(
        by=town_officer,
        values={"region_code": DONGGUAN, "household_number": "610902001001000001", "address": "一组1号"},
        members=[
            person("王建国", birth=date(1970, 5, 1), serial=11),
            person("王小明", birth=date(2000, 1, 2), relation="son", serial=13),
        ],
        on=ON,
    )


def events_of(obj: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("seq")
    )


INCOME = {
    "period_kind": "calendar_year",
    "period_start": "2025-01-01",
    "period_end": "2025-12-31",
    "lines": [
        {"component": "wages", "item": "务工收入", "amount": "18000.00", "note": "苏州电子厂9个月"},
        {"component": "transfers", "item": "养老金", "amount": "2400", "note": ""},
        {"component": "excluded", "item": "危房改造补助", "amount": "20000", "note": "专项补助"},
    ],
}


@pytest.mark.django_db
class TestSubmit:
    def test_village_cadre_submits_an_identity_change_with_its_base(
        self, household: Household, village_cadre: User
    ) -> None:
        son = household.members.get(name="王小明")
        change = services.submit_change(
            by=village_cadre,
            kind="update_member",
            member=son,
            payload={"name": "王晓明"},
            reason="户口本为“晓”",
        )
        assert (change.status, change.household_id, change.member_id, change.region_code) == (
            "pending",
            household.pk,
            son.pk,
            DONGGUAN,
        )
        assert services.change_payload(change) == {"name": "王晓明"}
        assert services.change_base(change) == {"name": "王小明"}
        son.refresh_from_db()
        assert son.name == "王小明"
        (event,) = events_of(change)
        assert event.action == "create"
        assert event.data["after"]["changes"] == {"name": "王晓明"}
        assert "payload" not in event.data["after"]

    def test_personal_data_in_the_payload_is_masked_in_the_audit_trail(
        self, household: Household, village_cadre: User
    ) -> None:
        baby = {"name": "王乐", "sex": "female", "birth_date": "2026-02-01", "relation": "granddaughter"}
        new_id = synthetic_id_number(birth=date(2026, 2, 1), sex="female", serial=5)
        change = services.submit_change(
            by=village_cadre,
            kind="add_member",
            household=household,
            payload={**baby, "id_number": new_id},
            reason="新生儿",
            on=ON,
        )
        (event,) = events_of(change)
        assert event.data["after"]["changes"]["id_number"] == new_id[:6] + "********" + new_id[-4:]

    def test_mistakes_are_shown_at_submission(self, household: Household, village_cadre: User) -> None:
        with pytest.raises(services.RegistryRefused) as caught:
            services.submit_change(
                by=village_cadre,
                kind="add_member",
                household=household,
                payload={"name": "王二", "sex": "male", "birth_date": "1975-01-01", "relation": "head"},
                reason="",
                on=ON,
            )
        assert [p.message for p in caught.value.problems] == [
            "请填写变更理由",
            "该户有多名户主：王建国、王二",
        ]
        assert ChangeRequest.objects.count() == 0

    def test_reason_is_required(self, household: Household, village_cadre: User) -> None:
        with pytest.raises(services.RegistryRefused, match="请填写变更理由"):
            services.submit_change(
                by=village_cadre,
                kind="update_household",
                household=household,
                payload={"household_type": "dibao"},
                reason=" ",
            )

    def test_town_users_edit_directly_and_cannot_submit(
        self, household: Household, town_officer: User
    ) -> None:
        with pytest.raises(PermissionDenied, match="请直接修改"):
            services.submit_change(
                by=town_officer,
                kind="update_household",
                household=household,
                payload={"address": "x"},
                reason="r",
            )

    def test_other_village_cannot_submit_for_this_household(
        self, household: Household, other_village_cadre: User
    ) -> None:
        with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
            services.submit_change(
                by=other_village_cadre,
                kind="update_household",
                household=household,
                payload={"address": "x"},
                reason="r",
            )
        assert ChangeRequest.objects.count() == 0

    def test_an_unchanged_value_is_not_a_change(self, household: Household, village_cadre: User) -> None:
        with pytest.raises(services.RegistryRefused, match="无需变更"):
            services.submit_change(
                by=village_cadre,
                kind="update_household",
                household=household,
                payload={"address": "一组1号"},
                reason="r",
            )

    def test_a_new_household_defaults_to_the_users_village(self, village_cadre: User) -> None:
        change = services.submit_change(
            by=village_cadre,
            kind="create_household",
            payload={
                "household": {"address": "三组2号"},
                "members": [person("刘大", birth=date(1966, 6, 6), serial=70)],
            },
            reason="分户",
            on=ON,
        )
        assert change.region_code == DONGGUAN
        assert services.change_payload(change)["household"] == {"address": "三组2号", "region_code": DONGGUAN}


@pytest.mark.django_db
class TestApprove:
    def test_approval_applies_through_the_direct_service_as_the_reviewer(
        self, household: Household, village_cadre: User, town_officer: User
    ) -> None:
        son = household.members.get(name="王小明")
        change = services.submit_change(
            by=village_cadre,
            kind="update_member",
            member=son,
            payload={"name": "王晓明"},
            reason="户口本为“晓”",
        )
        services.approve_change(change=change, by=town_officer, on=ON, note="核对户口本无误")

        son.refresh_from_db()
        change.refresh_from_db()
        assert son.name == "王晓明"
        assert (change.status, change.reviewed_by, change.review_note) == (
            "approved",
            town_officer,
            "核对户口本无误",
        )
        assert change.reviewed_at is not None
        member_update = events_of(son)[-1]
        assert (member_update.actor_username, member_update.data["after"]) == (
            "town_officer",
            {"name": "王晓明"},
        )
        change_update = events_of(change)[-1]
        assert change_update.data["changed"] == ["review_note", "reviewed_at", "reviewed_by", "status"]
        assert change_update.data["after"]["status"] == "approved"

    def test_a_new_household_is_created_and_linked(self, village_cadre: User, town_officer: User) -> None:
        change = services.submit_change(
            by=village_cadre,
            kind="create_household",
            payload={
                "household": {"address": "三组2号", "household_number": "610902001001000009"},
                "members": [person("刘大", birth=date(1966, 6, 6), serial=70)],
            },
            reason="分户",
            on=ON,
        )
        services.approve_change(change=change, by=town_officer, on=ON)
        change.refresh_from_db()
        assert change.household is not None
        assert change.household.household_number == "610902001001000009"
        assert list(change.household.members.values_list("name", flat=True)) == ["刘大"]

    def test_remove_member_with_a_new_head(
        self, household: Household, village_cadre: User, town_officer: User
    ) -> None:
        head = household.members.get(name="王建国")
        son = household.members.get(name="王小明")
        change = services.submit_change(
            by=village_cadre,
            kind="remove_member",
            member=head,
            payload={"left_on": "2026-02-02", "reason": "died", "new_head": son.pk},
            reason="户主去世",
        )
        services.approve_change(change=change, by=town_officer, on=ON)
        head.refresh_from_db()
        son.refresh_from_db()
        assert (head.left_on, head.left_reason, son.relation) == (date(2026, 2, 2), "died", "head")

    def test_income_change_writes_the_statement(
        self, household: Household, village_cadre: User, town_officer: User
    ) -> None:
        change = services.submit_change(
            by=village_cadre, kind="set_income", household=household, payload=INCOME, reason="年度收入核算"
        )
        services.approve_change(change=change, by=town_officer, on=ON)
        statement = IncomeStatement.objects.get(household=household)
        assert (statement.wages, statement.transfers, statement.household_size) == (
            Decimal("18000.00"),
            Decimal("2400.00"),
            2,
        )
        assert statement.net_income == Decimal("20400.00")
        assert statement.net_income_per_capita == Decimal("10200.00")

    def test_conflict_when_the_record_changed_since_submission(
        self, household: Household, village_cadre: User, town_officer: User, county_clerk: User
    ) -> None:
        change = services.submit_change(
            by=village_cadre,
            kind="update_household",
            household=household,
            payload={"household_type": "dibao", "address": "二组3号"},
            reason="纳入低保",
        )
        services.update_household(household=household, by=county_clerk, values={"address": "二组5号"}, on=ON)

        with pytest.raises(services.RegistryRefused) as caught:
            services.approve_change(change=change, by=town_officer, on=ON)
        assert (
            str(caught.value)
            == "提交申请后，以下信息已被修改：住址。请退回该申请，由村里按最新信息重新提交。"
        )
        household.refresh_from_db()
        change.refresh_from_db()
        assert (household.household_type, household.address, change.status) == (
            "ordinary",
            "二组5号",
            "pending",
        )

    def test_conflict_on_income_changed_since_submission(
        self, household: Household, village_cadre: User, town_officer: User
    ) -> None:
        change = services.submit_change(
            by=village_cadre, kind="set_income", household=household, payload=INCOME, reason="年度收入核算"
        )
        services.set_income_statement(
            household=household,
            by=town_officer,
            period_kind="calendar_year",
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            lines=[{"component": "wages", "item": "务工", "amount": "100", "note": ""}],
        )
        with pytest.raises(services.RegistryRefused, match="以下信息已被修改：收支情况"):
            services.approve_change(change=change, by=town_officer, on=ON)

    def test_the_submitter_and_other_towns_cannot_approve(
        self, household: Household, village_cadre: User, regions: dict[str, Any]
    ) -> None:
        from tests.factories import UserFactory

        change = services.submit_change(
            by=village_cadre,
            kind="update_household",
            household=household,
            payload={"household_type": "dibao"},
            reason="r",
        )
        for user, message in [
            (village_cadre, "只有乡镇及以上用户可以审核"),
            (UserFactory(role="town", region=regions["610902100000"]), "不在您的管辖范围内"),
        ]:
            with pytest.raises(PermissionDenied, match=message):
                services.approve_change(change=change, by=user, on=ON)
        change.refresh_from_db()
        household.refresh_from_db()
        assert (change.status, household.household_type) == ("pending", "ordinary")

    def test_a_reviewer_never_approves_their_own_submission(
        self, household: Household, town_officer: User
    ) -> None:
        # A town account cannot submit, but a request written before the user's role changed can exist.
        change = ChangeRequest.objects.create(
            household=household,
            region_code=DONGGUAN,
            kind="update_household",
            payload='{"household_type": "dibao"}',
            reason="r",
            submitted_by=town_officer,
        )
        with pytest.raises(PermissionDenied, match="不能审核自己提交的申请"):
            services.approve_change(change=change, by=town_officer, on=ON)

    def test_an_approval_refused_by_the_direct_service_changes_nothing(
        self, household: Household, village_cadre: User, town_officer: User
    ) -> None:
        change = services.submit_change(
            by=village_cadre,
            kind="add_member",
            household=household,
            payload=person("赵六", birth=date(1980, 3, 3), relation="other", serial=30),
            reason="投靠",
            on=ON,
        )
        services.create_household(
            by=town_officer,
            values={"region_code": "610902001002", "household_number": "610902001002000001"},
            members=[person("赵六", birth=date(1980, 3, 3), serial=30)],
            on=ON,
        )
        count = AuditEvent.objects.count()
        with pytest.raises(services.RegistryRefused, match="已登记在户编号 610902001002000001"):
            services.approve_change(change=change, by=town_officer, on=ON)
        change.refresh_from_db()
        assert change.status == "pending"
        assert household.members.count() == 2
        assert AuditEvent.objects.count() == count

    def test_a_decided_request_cannot_be_approved_again(
        self, household: Household, village_cadre: User, town_officer: User
    ) -> None:
        change = services.submit_change(
            by=village_cadre,
            kind="update_household",
            household=household,
            payload={"household_type": "dibao"},
            reason="r",
        )
        services.reject_change(change=change, by=town_officer, note="无低保证明")
        with pytest.raises(services.RegistryRefused, match="当前状态为“已退回”，不能再处理"):
            services.approve_change(change=change, by=town_officer, on=ON)


@pytest.mark.django_db
class TestRejectAndWithdraw:
    def test_reject_needs_a_reason_and_applies_nothing(
        self, household: Household, village_cadre: User, town_officer: User
    ) -> None:
        change = services.submit_change(
            by=village_cadre,
            kind="update_household",
            household=household,
            payload={"household_type": "dibao"},
            reason="r",
        )
        with pytest.raises(services.RegistryRefused, match="退回申请须填写理由"):
            services.reject_change(change=change, by=town_officer, note="  ")
        services.reject_change(change=change, by=town_officer, note="无低保证明")
        change.refresh_from_db()
        household.refresh_from_db()
        assert (change.status, change.review_note, household.household_type) == (
            "rejected",
            "无低保证明",
            "ordinary",
        )
        assert events_of(change)[-1].data["after"]["status"] == "rejected"

    def test_only_the_submitter_withdraws_and_only_while_pending(
        self, household: Household, village_cadre: User, town_officer: User, regions: dict[str, Any]
    ) -> None:
        from tests.factories import UserFactory

        colleague = UserFactory(role="village_team", region=regions[DONGGUAN])
        change = services.submit_change(
            by=village_cadre,
            kind="update_household",
            household=household,
            payload={"household_type": "dibao"},
            reason="r",
        )
        with pytest.raises(PermissionDenied, match="只有提交人可以撤回"):
            services.withdraw_change(change=change, by=colleague)
        services.withdraw_change(change=change, by=village_cadre)
        change.refresh_from_db()
        assert change.status == ChangeStatus.WITHDRAWN
        with pytest.raises(services.RegistryRefused, match="不能再处理"):
            services.withdraw_change(change=change, by=village_cadre)
        with pytest.raises(services.RegistryRefused, match="不能再处理"):
            services.approve_change(change=change, by=town_officer, on=ON)


def test_transitions_are_declared_once() -> None:
    assert {
        "pending": frozenset({"approved", "rejected", "withdrawn"}),
        "approved": frozenset(),
        "rejected": frozenset(),
        "withdrawn": frozenset(),
    } == services.TRANSITIONS


@pytest.mark.django_db
def test_member_payload_dates_roundtrip_as_iso_text(household: Household, village_cadre: User) -> None:
    son = Member.objects.get(name="王小明")
    change = services.submit_change(
        by=village_cadre,
        kind="update_member",
        member=son,
        payload={"joined_on": date(2000, 1, 2)},
        reason="r",
    )
    assert services.change_payload(change) == {"joined_on": "2000-01-02"}
    assert services.change_base(change) == {"joined_on": None}


@pytest.mark.django_db
def test_a_member_added_by_request_joins_on_the_day_it_was_reported(
    household: Household, village_cadre: User, town_officer: User
) -> None:
    baby = {"name": "王乐", "sex": "female", "birth_date": "2026-02-01", "relation": "granddaughter"}
    change = services.submit_change(
        by=village_cadre, kind="add_member", household=household, payload=baby, reason="新生儿", on=ON
    )
    services.approve_change(change=change, by=town_officer, on=date(2026, 3, 20))
    change.refresh_from_db()
    assert change.member is not None
    assert (change.member.name, change.member.joined_on) == ("王乐", ON)
