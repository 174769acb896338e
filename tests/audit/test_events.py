"""The named constructors write the right event, with personal data masked and nothing secret recorded."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy

from bangfu.accounts.models import Role, User
from bangfu.audit import events
from bangfu.audit.chain import verify_chain
from bangfu.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from bangfu.core.appendonly import AppendOnlyError
from tests.audit.conftest import BROWSER

pytestmark = pytest.mark.django_db

ID_NUMBER = "610902199001011234"
PHONE = "13812345678"


def make_person(person_model: type[models.Model], **overrides: object) -> models.Model:
    values: dict[str, object] = {
        "pk": 7,
        "name": "张三丰",
        "id_number": ID_NUMBER,
        "contact": PHONE,
        "id_number_index": "9f2c" * 16,
        "region_code": "610902001001",
        "income": Decimal("12345.60"),
        "born_on": date(1990, 1, 1),
    }
    values.update(overrides)
    return person_model(**values)


def stored_text(event: AuditEvent) -> str:
    """Everything stored in the event's row, as text, read back from the database."""
    row = AuditEvent.objects.filter(seq=event.seq).values().get()
    return json.dumps(row, default=str, ensure_ascii=False)


# --- one test per constructor -------------------------------------------------------------------------------


def test_created_records_actor_object_request_and_masked_after(
    person_model: type[models.Model], county_clerk: User, http_request: HttpRequest
) -> None:
    person = make_person(person_model)

    event = events.created(
        actor=county_clerk, obj=person, after=events.snapshot(person), request=http_request
    )

    event = AuditEvent.objects.get(seq=event.seq)
    assert (event.seq, event.prev_hash, event.action) == (1, GENESIS_HASH, "create")
    assert (event.actor_id, event.actor_username) == (county_clerk.pk, "county_clerk")
    assert (event.object_type, event.object_id, event.object_repr) == ("audit.person", "7", "张三丰")
    assert event.region_code == "610902001001"
    assert (event.ip, event.user_agent) == ("10.1.2.3", BROWSER)
    assert event.data == {
        "after": {
            "name": "张三丰",
            "id_number": "610902********1234",
            "contact": "138****5678",
            "id_number_index": "******",
            "region_code": "610902001001",
            "income": "12345.60",
            "born_on": "1990-01-01",
        }
    }
    assert ID_NUMBER not in stored_text(event)
    assert PHONE not in stored_text(event)


def test_updated_keeps_only_changed_fields_masked_on_both_sides(
    person_model: type[models.Model], county_clerk: User
) -> None:
    person = make_person(person_model)
    before = events.snapshot(person)
    # The new phone differs only in the digits the mask hides: the change must still be listed.
    person.contact = "13899995678"  # type: ignore[attr-defined]
    person.income = Decimal("20000.00")  # type: ignore[attr-defined]

    event = events.updated(actor=county_clerk, obj=person, before=before, after=events.snapshot(person))

    assert event.action == "update"
    assert AuditEvent.objects.get(seq=event.seq).data == {
        "changed": ["contact", "income"],
        "before": {"contact": "138****5678", "income": "12345.60"},
        "after": {"contact": "138****5678", "income": "20000.00"},
    }
    assert "13899995678" not in stored_text(event)


def test_deleted_records_masked_before_and_takes_the_id_from_it_once_pk_is_cleared(
    person_model: type[models.Model], county_clerk: User
) -> None:
    person = make_person(person_model)
    before = events.snapshot(person, fields=["id", "name", "id_number"])
    person.pk = None  # what Model.delete() leaves behind

    event = events.deleted(actor=county_clerk, obj=person, before=before)

    assert (event.action, event.object_type, event.object_id) == ("delete", "audit.person", "7")
    assert AuditEvent.objects.get(seq=event.seq).data == {
        "before": {"id": 7, "name": "张三丰", "id_number": "610902********1234"}
    }


def test_login_records_the_user_and_the_region_of_its_scope(
    village_cadre: User, http_request: HttpRequest
) -> None:
    event = events.login(user=village_cadre, request=http_request)

    assert (event.action, event.actor_id, event.actor_username) == (
        "login",
        village_cadre.pk,
        "village_cadre",
    )
    assert (event.region_code, event.ip, event.data) == ("610902001001", "10.1.2.3", {})
    assert (event.object_type, event.object_id) == ("", "")


def test_logout_records_the_user(auditor: User, http_request: HttpRequest) -> None:
    event = events.logout(user=auditor, request=http_request)

    assert (event.action, event.actor_id, event.actor_username, event.region_code) == (
        "logout",
        auditor.pk,
        "auditor",
        "",
    )


def test_login_failed_records_an_existing_username_as_typed(
    village_cadre: User, http_request: HttpRequest
) -> None:
    event = events.login_failed(username="village_cadre", request=http_request, reason="bad_credentials")

    assert (event.action, event.actor_id, event.actor_username) == ("login_failed", None, "village_cadre")
    assert event.data == {"reason": "bad_credentials"}
    assert (event.ip, event.user_agent) == ("10.1.2.3", BROWSER)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("no_such_user", "no*********r"),
        (ID_NUMBER, "61***************4"),  # an ID number typed into the username field
        ("Secret-Pass1", "Se*********1"),  # a password typed into the username field
        ("abcd", "a**d"),
        ("abc", "***"),
        ("", ""),
    ],
)
def test_login_failed_masks_a_username_that_belongs_to_no_account(
    village_cadre: User, http_request: HttpRequest, typed: str, stored: str
) -> None:
    event = events.login_failed(username=typed, request=http_request, reason="bad_credentials")

    row = AuditEvent.objects.filter(seq=event.seq).values("actor_id", "actor_username", "data").get()
    assert row == {
        "actor_id": None,
        "actor_username": stored,
        "data": {"reason": "bad_credentials", "unknown_user": True},
    }


def test_login_failed_for_an_existing_name_in_other_case_is_masked(village_cadre: User) -> None:
    # Log-in matches usernames exactly, so "Village_Cadre" is no account and may be anything typed.
    event = events.login_failed(username="Village_Cadre", request=None, reason="bad_credentials")

    assert (event.actor_username, event.data["unknown_user"]) == ("Vi**********e", True)


def test_revealed_names_the_field_but_never_records_its_value(
    person_model: type[models.Model], county_clerk: User, http_request: HttpRequest
) -> None:
    person = make_person(person_model)

    event = events.revealed(actor=county_clerk, obj=person, field="id_number", request=http_request)

    assert (event.action, event.object_type, event.object_id) == ("reveal", "audit.person", "7")
    assert event.data == {"field": "id_number", "field_label": "证件号码", "kind": "id_number"}
    assert ID_NUMBER not in stored_text(event)
    assert "610902********1234" not in stored_text(event)


def test_exported_records_what_how_many_and_for_which_region(county_clerk: User) -> None:
    event = events.exported(actor=county_clerk, what="registry.household", count=120, region_code="610902")

    assert (event.action, event.object_type, event.region_code) == ("export", "registry.household", "610902")
    assert event.data == {"what": "registry.household", "count": 120}


def test_security_records_the_operation_with_a_masked_detail_and_no_secrets(
    security_admin: User, village_cadre: User, http_request: HttpRequest
) -> None:
    event = events.security(
        actor=security_admin,
        action="role_changed",
        obj=village_cadre,
        detail={
            "before": {"role": Role.TOWN, "phone": PHONE},
            "after": {"role": Role.VILLAGE_TEAM},
            "password": "pbkdf2$secret-hash",
            "token": "a1b2c3",
        },
        request=http_request,
    )

    assert (event.action, event.operation) == ("security", "role_changed")
    assert (event.actor_username, event.object_type, event.object_id) == (
        "security_admin",
        "accounts.user",
        str(village_cadre.pk),
    )
    assert (event.object_repr, event.region_code) == ("village_cadre", "610902001001")
    assert AuditEvent.objects.get(seq=event.seq).data == {
        "detail": {
            "before": {"role": "town", "phone": "138****5678"},
            "after": {"role": "village_team"},
            "password": "******",
            "token": "a1b2c3",
        }
    }


def test_security_event_by_the_system_has_no_actor() -> None:
    event = events.security(actor=None, action="account_locked", detail={"username": "someone"})

    assert (event.actor_id, event.actor_username, event.object_type) == (None, "", "")
    assert event.data == {"detail": {"username": "someone"}}


# --- masking and JSON-safe values ---------------------------------------------------------------------------


def test_known_personal_key_names_are_masked_even_without_a_model_field(county_clerk: User) -> None:
    event = events.security(
        actor=county_clerk,
        action="contact_checked",
        detail={
            "head_phone": PHONE,
            "id_number": ID_NUMBER,
            "bank_account": "6228480012345678901",
            "name": "张三",
        },
    )

    assert event.data["detail"] == {
        "head_phone": "138****5678",
        "id_number": "610902********1234",
        "bank_account": "***************8901",
        "name": "张三",
    }


def test_personal_keys_in_nested_details_and_lists_are_masked(county_clerk: User) -> None:
    event = events.security(
        actor=county_clerk,
        action="bulk_checked",
        detail={"rows": [{"id_number": ID_NUMBER, "row": 2}, "note"], "scope": {"mobile": PHONE}},
    )

    assert event.data["detail"] == {
        "rows": [{"id_number": "610902********1234", "row": 2}, "note"],
        "scope": {"mobile": "138****5678"},
    }


def test_id_numbers_and_phones_inside_the_object_text_are_masked(
    person_model: type[models.Model], county_clerk: User
) -> None:
    person = make_person(person_model, name=f"张三 {ID_NUMBER} {PHONE}")

    event = events.created(actor=county_clerk, obj=person, after={})

    assert event.object_repr == "张三 610902********1234 138****5678"


def test_empty_personal_values_stay_empty(person_model: type[models.Model], county_clerk: User) -> None:
    person = make_person(person_model, contact="", id_number=None)

    event = events.created(
        actor=county_clerk, obj=person, after=events.snapshot(person, fields=["contact", "id_number"])
    )

    assert event.data == {"after": {"contact": "", "id_number": None}}


def test_snapshot_is_json_safe_and_records_foreign_keys_by_id(village_cadre: User) -> None:
    values = events.snapshot(village_cadre, fields=["username", "role", "region", "is_active", "last_login"])

    assert values == {
        "username": "village_cadre",
        "role": "village_team",
        "region": "610902001001",
        "is_active": True,
        "last_login": None,
    }


def test_snapshot_by_default_takes_every_concrete_field_but_the_primary_key(
    person_model: type[models.Model],
) -> None:
    assert set(events.snapshot(make_person(person_model))) == {
        "name",
        "id_number",
        "contact",
        "id_number_index",
        "region_code",
        "income",
        "born_on",
    }


def test_json_safe_converts_what_a_json_column_cannot_hold(village_cadre: User) -> None:
    value = {
        1: Decimal("1.50"),
        "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "day": date(2026, 1, 2),
        "role": Role.AUDITOR,
        "user": village_cadre,
        "tags": {"b", "a"},
        "label": gettext_lazy("审计员"),
        "ratio": float("nan"),
        "share": 0.25,
        "big": 1e16,
        "text": "a\x00b",
        "pair": (1, 2),
    }

    assert events.json_safe(value) == {
        "1": "1.50",
        "when": "2026-01-02T11:04:05+08:00",
        "day": "2026-01-02",
        "role": "auditor",
        "user": village_cadre.pk,
        "tags": ["a", "b"],
        "label": "审计员",
        "ratio": "nan",
        "share": "0.25",
        "big": "1e+16",
        "text": "ab",
        "pair": [1, 2],
    }


def test_floats_and_decimals_survive_the_json_column_so_the_chain_verifies(county_clerk: User) -> None:
    # PostgreSQL's jsonb stores numbers as numeric: a hashed float 1e16 would come back as
    # 10000000000000000 and verify would report tampering. Events record floats and decimals as text.
    event = events.security(
        actor=county_clerk,
        action="thresholds_checked",
        detail={
            "big": 1e16,
            "tiny": 1e-7,
            "share": 0.1,
            "whole": 8300.0,
            "amount": Decimal("12345.60"),
            "huge": Decimal("1E+16"),
            "nested": {"values": [2.5, Decimal("0.10")]},
        },
    )

    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.data == {
        "detail": {
            "big": "1e+16",
            "tiny": "1e-07",
            "share": "0.1",
            "whole": "8300.0",
            "amount": "12345.60",
            "huge": "1E+16",
            "nested": {"values": ["2.5", "0.10"]},
        }
    }
    assert verify_chain().ok


def test_a_model_wrapped_in_a_lazy_object_is_masked_by_its_fields(
    person_model: type[models.Model], county_clerk: User
) -> None:
    person = make_person(person_model)
    lazy = SimpleLazyObject(lambda: person)  # how request.user arrives

    created = events.created(actor=county_clerk, obj=lazy, after={"contact": PHONE})  # type: ignore[arg-type]
    updated = events.updated(
        actor=county_clerk,
        obj=lazy,  # type: ignore[arg-type]
        before={"contact": PHONE},
        after={"contact": "13987654321"},
    )
    revealed = events.revealed(actor=county_clerk, obj=lazy, field="contact")  # type: ignore[arg-type]

    # "contact" is no known personal key name: only its model field says it holds a phone number.
    assert created.data == {"after": {"contact": "138****5678"}}
    assert updated.data["before"] == {"contact": "138****5678"}
    assert revealed.data == {"field": "contact", "field_label": "联系方式", "kind": "phone"}


def test_user_agent_is_truncated_and_an_invalid_address_is_dropped(village_cadre: User) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="not-an-address", HTTP_USER_AGENT="x" * 400)

    event = events.login(user=village_cadre, request=request)

    assert (event.ip, event.user_agent) == ("", "x" * 255)


def test_ipv6_address_is_stored_in_its_canonical_form(village_cadre: User) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="2001:DB8:0:0::1")

    assert events.login(user=village_cadre, request=request).ip == "2001:db8::1"


def doomed_change(user: User) -> None:
    """A business transaction that writes its audit event and then fails."""
    with transaction.atomic():
        events.security(actor=user, action="doomed")
        raise RuntimeError


# --- append-only and transactions ---------------------------------------------------------------------------


def test_an_event_cannot_be_changed_or_removed_through_the_orm(village_cadre: User) -> None:
    event = events.login(user=village_cadre, request=None)
    event.object_repr = "changed"

    with pytest.raises(AppendOnlyError) as caught:
        event.save()
    assert (
        caught.value.message
        == "“审计事件”只能追加新记录，不能修改已保存的记录（编号 1）；更正请新增一条记录。"
    )
    with pytest.raises(AppendOnlyError) as caught:
        event.delete()
    assert caught.value.message == "“审计事件”只能追加新记录，不能删除已保存的记录（编号 1）。"
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=event.seq).update(object_repr="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError, match="审计记录必须逐条通过审计链写入。"):
        AuditEvent.objects.bulk_create([AuditEvent(seq=99)])
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["object_repr"])
    with pytest.raises(AppendOnlyError):
        AuditEvent(seq=99).save(force_update=True)
    assert list(AuditEvent.objects.values_list("seq", "object_repr")) == [(1, "")]


def test_event_of_a_rolled_back_change_disappears_and_leaves_no_gap(village_cadre: User) -> None:
    events.login(user=village_cadre, request=None)
    with pytest.raises(RuntimeError):
        doomed_change(village_cadre)

    third = events.logout(user=village_cadre, request=None)

    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "action")) == [
        (1, "login"),
        (2, "logout"),
    ]
    assert third.seq == 2
    assert AuditChainHead.objects.get().last_seq == 2
    assert verify_chain().ok


def test_deleting_an_account_keeps_its_events_and_the_chain_intact(village_cadre: User) -> None:
    events.login(user=village_cadre, request=None)

    village_cadre.delete()

    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_username) == (None, "village_cadre")
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_login_failed_is_committed_at_once_and_survives_a_later_failure(
    village_cadre: User, http_request: HttpRequest
) -> None:
    events.login_failed(username="village_cadre", request=http_request, reason="bad_credentials")
    # Written in autocommit: nothing is pending that a later failure could roll back.
    assert not connection.in_atomic_block

    with pytest.raises(RuntimeError):
        doomed_change(village_cadre)

    assert list(AuditEvent.objects.values_list("seq", "action")) == [(1, "login_failed")]
    assert verify_chain().ok
