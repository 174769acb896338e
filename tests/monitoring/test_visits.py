"""Visits from a phone: the contact cadre's households with the next visit due by policy, a visit stored
once however often it is sent, a new risk found on a visit reported to the case, the photo behind scope."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from bangfu.accounts.models import User
from bangfu.monitoring import assistance, visits
from bangfu.monitoring.exceptions import MonitoringRefused
from bangfu.monitoring.identification import BASIC_NEEDS
from bangfu.monitoring.models import CaseEvent, Lead, MonitoringCase, Visit
from tests.factories import HouseholdFactory, MemberFactory, monitored_case

pytestmark = pytest.mark.django_db
ALL_MET = dict.fromkeys(BASIC_NEEDS, True)


@pytest.fixture
def case(regions: object, village_cadre: User, town_officer: User, county_clerk: User) -> MonitoringCase:
    household = MemberFactory(name="孙有田", household=HouseholdFactory()).household
    made = monitored_case(household, village=village_cadre, town=town_officer, county=county_clerk)
    return assistance.assign_contact(case=made, by=town_officer, cadre=village_cadre)


def jpeg(width: int = 2400, height: int = 1600) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 160, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_my_households_lists_the_next_visit_due_and_the_overdue_first(
    case: MonitoringCase, village_cadre: User, town_officer: User
) -> None:
    # Monitored from 2026-10-04; a visit every 30 calendar days.
    (row,) = visits.my_households(village_cadre, on=dt.date(2026, 11, 2))
    assert (row.case.pk, row.last_visit, row.due_on, row.overdue) == (
        case.pk,
        None,
        dt.date(2026, 11, 3),
        False,
    )
    (row,) = visits.my_households(village_cadre, on=dt.date(2026, 11, 4))
    assert row.overdue
    visits.log_visit(
        case=case, by=village_cadre, on=dt.date(2026, 11, 4), client_id=uuid.uuid4(), needs_met=ALL_MET
    )
    (row,) = visits.my_households(village_cadre, on=dt.date(2026, 11, 4))
    assert (row.last_visit, row.due_on, row.overdue) == (dt.date(2026, 11, 4), dt.date(2026, 12, 4), False)
    assert visits.my_households(town_officer, on=dt.date(2026, 11, 4)) == []  # not its contact cadre


def test_a_visit_sent_twice_is_stored_once(case: MonitoringCase, village_cadre: User) -> None:
    key = uuid.uuid4()
    first, new = visits.log_visit(
        case=case,
        by=village_cadre,
        on=dt.date(2026, 11, 4),
        client_id=key,
        needs_met=ALL_MET,
        note="家中正常",
    )
    again, new_again = visits.log_visit(
        case=case,
        by=village_cadre,
        on=dt.date(2026, 11, 4),
        client_id=key,
        needs_met=ALL_MET,
        note="家中正常",
    )
    assert (new, new_again, again.pk) == (True, False, first.pk)
    assert Visit.objects.count() == 1


def test_who_may_visit_and_what_is_refused(
    case: MonitoringCase, other_village_cadre: User, county_clerk: User, village_cadre: User
) -> None:
    for user in (other_village_cadre, county_clerk):
        with pytest.raises(PermissionDenied):
            visits.log_visit(
                case=case, by=user, on=dt.date(2026, 11, 4), client_id=uuid.uuid4(), needs_met=ALL_MET
            )
    with pytest.raises(MonitoringRefused, match="发现新风险时请在走访情况中写明"):
        visits.log_visit(
            case=case,
            by=village_cadre,
            on=dt.date(2026, 11, 4),
            client_id=uuid.uuid4(),
            needs_met=ALL_MET,
            new_risk=True,
        )
    with pytest.raises(MonitoringRefused, match="位置信息无效"):
        visits.log_visit(
            case=case,
            by=village_cadre,
            on=dt.date(2026, 11, 4),
            client_id=uuid.uuid4(),
            needs_met=ALL_MET,
            latitude="123.5",
        )
    assert not Visit.objects.exists()


def test_a_new_risk_found_on_a_visit_joins_the_case(case: MonitoringCase, village_cadre: User) -> None:
    visit, _new = visits.log_visit(
        case=case,
        by=village_cadre,
        on=dt.date(2026, 11, 4),
        client_id=uuid.uuid4(),
        needs_met={**ALL_MET, "housing": False},
        income_change="down",
        new_risk=True,
        risk_types=["因自然灾害"],
        note="暴雨致房屋受损",
        latitude="32.684512",
        longitude="109.029876",
    )
    assert visit.needs_met["housing"] is False
    joined = CaseEvent.objects.get(case=case, action="lead")
    lead = Lead.objects.get(pk=joined.record["lead"])
    assert (lead.channel, lead.risk_types, lead.difficulty) == (
        "cadre_report",
        ["因自然灾害"],
        "走访发现：暴雨致房屋受损",
    )
    assert MonitoringCase.objects.count() == 1


def test_the_phone_form_stores_the_visit_and_its_photo_behind_scope(
    case: MonitoringCase,
    village_cadre: User,
    other_village_cadre: User,
    county_clerk: User,
    settings: object,
    tmp_path: object,
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    c = Client()
    c.force_login(village_cadre)
    listed = c.get("/cases/visits/").content.decode()
    assert f'href="/cases/{case.pk}/visit/"' in listed
    assert "data-overdue" in listed  # monitored since 2026-10-04, never visited: long overdue today
    form = c.get(f"/cases/{case.pk}/visit/").content.decode()
    assert "data-visit-form" in form
    assert 'capture="environment"' in form
    key = str(uuid.uuid4())
    fields = {
        "on": "2026-11-04",
        **{f"need_{need}": "on" for need in BASIC_NEEDS},
        "income_change": "none",
        "note": "家中正常",
        "client_id": key,
    }
    sent = c.post(
        f"/cases/{case.pk}/visit/", {**fields, "photo": SimpleUploadedFile("v.jpg", jpeg(), "image/jpeg")}
    )
    assert sent.status_code == 302
    assert c.post(f"/cases/{case.pk}/visit/", fields).status_code == 302  # the resend of a draft
    visit = Visit.objects.get()
    assert visit.photo
    photo = c.get(f"/cases/visits/{visit.pk}/photo/")
    assert photo.status_code == 200
    assert photo["Cache-Control"] == "private, no-store"
    other = Client()
    other.force_login(other_village_cadre)
    assert other.get(f"/cases/visits/{visit.pk}/photo/").status_code == 404
    not_image = c.post(
        f"/cases/{case.pk}/visit/",
        {
            **fields,
            "client_id": str(uuid.uuid4()),
            "photo": SimpleUploadedFile("v.jpg", b"not a picture", "image/jpeg"),
        },
    )
    assert "请上传一张有效的图片" in not_image.content.decode()
    page = Client()
    page.force_login(county_clerk)
    assert "家中正常" in page.get(f"/cases/{case.pk}/").content.decode()
