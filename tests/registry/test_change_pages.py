"""Change requests on the pages: the town's inbox and review (approve applies through the direct service,
reject needs a reason), the submitter's withdrawal, conflicts, and masked/revealed ID numbers."""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.audit.models import AuditEvent
from bangfu.registry import services
from bangfu.registry.models import ChangeRequest, ChangeStatus, Household, Member
from bangfu.registry.views.changes import PAGE_SIZE
from tests.factories import ChangeRequestFactory, UserFactory, synthetic_id_number
from tests.permissions import client_for

pytestmark = pytest.mark.django_db

DONGGUAN = "610902001001"
TODAY = timezone.localdate()
SON_ID = synthetic_id_number(birth=date(2000, 1, 2), sex="male", serial=13)
NEW_SON_ID = synthetic_id_number(birth=date(2000, 1, 2), sex="male", serial=15)


@pytest.fixture
def household(town_officer: User) -> Household:
    return services.create_household(
        by=town_officer,
        values={"region_code": DONGGUAN, "household_number": "610902001001000001"},
        members=[
            {
                "name": "王建国",
                "id_number": synthetic_id_number(birth=date(1970, 5, 1), sex="male", serial=11),
                "relation": "head",
            },
            {"name": "王小明", "id_number": SON_ID, "relation": "son"},
        ],
        on=TODAY,
    )


@pytest.fixture
def son(household: Household) -> Member:
    return household.members.get(name="王小明")


@pytest.fixture
def change(son: Member, village_cadre: User) -> ChangeRequest:
    """The village cadre asks to correct the son's name and ID number."""
    return services.submit_change(
        by=village_cadre,
        kind="update_member",
        member=son,
        payload={"name": "王晓明", "id_number": NEW_SON_ID},
        reason="按户口本更正",
    )


def text(response: Any) -> str:
    return str(response.content.decode())


class TestReview:
    def test_town_officer_approves_and_the_member_changes(
        self, change: ChangeRequest, son: Member, town_officer: User
    ) -> None:
        client = client_for(town_officer)
        response = client.post(f"/households/changes/{change.pk}/approve/", {"approve-note": "已核实户口本"})
        assert response.status_code == 302
        assert response["Location"] == f"/households/changes/{change.pk}/"
        son.refresh_from_db()
        assert (son.name, son.id_number) == ("王晓明", NEW_SON_ID)
        change.refresh_from_db()
        assert (change.status, change.reviewed_by_id, change.review_note) == (
            ChangeStatus.APPROVED,
            town_officer.pk,
            "已核实户口本",
        )
        detail = text(client.get(response["Location"]))
        assert "已审核通过，修改已生效。" in detail
        assert "已核实户口本" in detail

    def test_the_review_page_shows_before_and_after_with_masked_ids(
        self, change: ChangeRequest, town_officer: User
    ) -> None:
        response = client_for(town_officer).get(f"/households/changes/{change.pk}/")
        (table,) = response.context["tables"]
        rows = {row.label: (row.before, row.after, row.changed) for row in table.rows}
        assert rows == {
            "姓名": ("王小明", "王晓明", True),
            "证件号码": ("610902********" + SON_ID[-4:], "610902********" + NEW_SON_ID[-4:], True),
        }
        page = text(response)
        assert SON_ID not in page
        assert NEW_SON_ID not in page
        assert "按户口本更正" in page
        # The officer holds no reveal grant: no button.
        assert "显示完整号码" not in page

    def test_revealing_the_full_numbers_is_audited(self, change: ChangeRequest, town_officer: User) -> None:
        town_officer.may_reveal_personal_data = True
        town_officer.save()
        client = client_for(town_officer)
        assert "显示完整号码" in text(client.get(f"/households/changes/{change.pk}/"))
        response = client.post(f"/households/changes/{change.pk}/")
        page = text(response)
        assert SON_ID in page
        assert NEW_SON_ID in page
        event = AuditEvent.objects.filter(action="reveal").get()
        assert (event.actor_id, event.object_type, event.object_id) == (
            town_officer.pk,
            "registry.changerequest",
            str(change.pk),
        )

    def test_revealing_without_the_grant_is_refused(self, change: ChangeRequest, town_officer: User) -> None:
        response = client_for(town_officer).post(f"/households/changes/{change.pk}/")
        assert response.status_code == 403
        assert not AuditEvent.objects.filter(action="reveal").exists()

    def test_rejecting_needs_a_reason(self, change: ChangeRequest, son: Member, town_officer: User) -> None:
        client = client_for(town_officer)
        refused = client.post(f"/households/changes/{change.pk}/reject/", {"reject-note": "  "})
        assert refused.status_code == 200
        assert refused.context["reject_form"].errors == {"note": ["退回时必须填写理由。"]}
        change.refresh_from_db()
        assert change.status == ChangeStatus.PENDING
        response = client.post(f"/households/changes/{change.pk}/reject/", {"reject-note": "身份证号码有误"})
        assert response.status_code == 302
        change.refresh_from_db()
        son.refresh_from_db()
        assert (change.status, change.review_note, son.name) == (
            ChangeStatus.REJECTED,
            "身份证号码有误",
            "王小明",
        )

    def test_the_submitter_sees_the_rejection_reason(
        self, change: ChangeRequest, town_officer: User, village_cadre: User
    ) -> None:
        services.reject_change(change=change, by=town_officer, note="请附户口本照片")
        page = text(client_for(village_cadre).get(f"/households/changes/{change.pk}/"))
        assert "已退回" in page
        assert "请附户口本照片" in page
        assert "审核通过" not in page

    def test_a_conflicting_edit_since_submission_is_shown_and_nothing_applied(
        self, change: ChangeRequest, son: Member, county_clerk: User, town_officer: User
    ) -> None:
        services.update_member(member=son, by=county_clerk, values={"name": "王小名"}, on=TODAY)
        client = client_for(town_officer)
        detail = client.get(f"/households/changes/{change.pk}/")
        (table,) = detail.context["tables"]
        name_row = next(row for row in table.rows if row.label == "姓名")
        assert (name_row.before, name_row.now) == ("王小明", "王小名")
        response = client.post(f"/households/changes/{change.pk}/approve/", {"approve-note": ""})
        assert response.status_code == 200
        assert response.context["refused"] == [
            "提交申请后，以下信息已被修改：姓名。请退回该申请，由村里按最新信息重新提交。"
        ]
        assert "提交申请后，以下信息已被修改：姓名" in text(response)
        change.refresh_from_db()
        son.refresh_from_db()
        assert (change.status, son.name) == (ChangeStatus.PENDING, "王小名")

    def test_the_submitter_withdraws_a_pending_request(
        self, change: ChangeRequest, village_cadre: User
    ) -> None:
        client = client_for(village_cadre)
        assert "撤回申请" in text(client.get(f"/households/changes/{change.pk}/"))
        response = client.post(f"/households/changes/{change.pk}/withdraw/")
        assert response.status_code == 302
        change.refresh_from_db()
        assert change.status == ChangeStatus.WITHDRAWN
        again = client.post(f"/households/changes/{change.pk}/withdraw/")
        assert again.context["refused"] == ["该申请当前状态为“已撤回”，不能再处理"]

    def test_a_new_household_request_approved_creates_it(
        self, village_cadre: User, town_officer: User
    ) -> None:
        request = services.submit_change(
            by=village_cadre,
            kind="create_household",
            payload={
                "household": {"region_code": DONGGUAN, "household_number": "610902001001000077"},
                "members": [
                    {
                        "name": "陈大山",
                        "id_number": synthetic_id_number(birth=date(1965, 8, 8), sex="male", serial=31),
                        "relation": "head",
                    }
                ],
            },
            reason="新分户",
        )
        client = client_for(town_officer)
        detail = client.get(f"/households/changes/{request.pk}/")
        titles = [table.title for table in detail.context["tables"]]
        assert titles == ["新农户", "家庭成员：陈大山"]
        client.post(f"/households/changes/{request.pk}/approve/", {"approve-note": ""})
        household = Household.objects.get(household_number="610902001001000077")
        assert [m.name for m in household.members.all()] == ["陈大山"]


class TestList:
    def test_the_inbox_lists_pending_oldest_first_with_their_age_then_decided(
        self, son: Member, village_cadre: User, town_officer: User
    ) -> None:
        older = services.submit_change(
            by=village_cadre, kind="update_member", member=son, payload={"health": "chronic"}, reason="一"
        )
        newer = services.submit_change(
            by=village_cadre, kind="update_member", member=son, payload={"skill": "电工"}, reason="二"
        )
        decided = services.submit_change(
            by=village_cadre, kind="update_member", member=son, payload={"education": "junior"}, reason="三"
        )
        services.reject_change(change=decided, by=town_officer, note="不需要")
        ChangeRequest.objects.filter(pk=older.pk).update(submitted_at=timezone.now() - dt.timedelta(days=10))
        response = client_for(town_officer).get("/households/changes/")
        pending, done = response.context["sections"]
        assert [(r["change"].pk, r["age_days"]) for r in pending.rows] == [(older.pk, 10), (newer.pk, 0)]
        assert [r["change"].pk for r in done.rows] == [decided.pk]
        assert "已等待 10 天" in text(response)

    def test_a_village_cadre_sees_only_own_requests(
        self, son: Member, village_cadre: User, town_officer: User
    ) -> None:
        mine = services.submit_change(
            by=village_cadre, kind="update_member", member=son, payload={"skill": "电工"}, reason="一"
        )
        colleague = UserFactory(username="colleague", role="village_team", region_id=DONGGUAN)
        services.submit_change(
            by=colleague, kind="update_member", member=son, payload={"health": "chronic"}, reason="二"
        )
        response = client_for(village_cadre).get("/households/changes/")
        (section,) = response.context["sections"]
        assert [r["change"].pk for r in section.rows] == [mine.pk]

    def test_status_filter(self, change: ChangeRequest, town_officer: User) -> None:
        response = client_for(town_officer).get("/households/changes/?status=rejected")
        (section,) = response.context["sections"]
        assert section.rows == []
        response = client_for(town_officer).get("/households/changes/?status=pending")
        (section,) = response.context["sections"]
        assert [r["change"].pk for r in section.rows] == [change.pk]

    def test_keyset_pages_load_more_through_htmx(self, household: Household, town_officer: User) -> None:
        submitter = UserFactory(username="submitter", role="village_team", region_id=DONGGUAN)
        made = [
            ChangeRequestFactory(household=household, submitted_by=submitter).pk for _ in range(PAGE_SIZE + 3)
        ]
        client = client_for(town_officer)
        first = client.get("/households/changes/?status=pending")
        (section,) = first.context["sections"]
        assert [r["change"].pk for r in section.rows] == made[:PAGE_SIZE]
        assert section.next_query == f"status=pending&section=pending&after={made[PAGE_SIZE - 1]}"
        more = client.get(f"/households/changes/?{section.next_query}", headers={"HX-Request": "true"})
        assert [r["change"].pk for r in more.context["section"].rows] == made[PAGE_SIZE:]
        assert "<html" not in text(more)
        assert more.context["section"].next_query == ""
