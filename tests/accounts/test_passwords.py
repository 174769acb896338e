"""Password policy (≥8 characters, 3 classes, not one of the last 5), the set_password service and the
change-password page, including the forced change after a reset."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from bangfu.accounts import services
from bangfu.accounts.models import PasswordHistory, User
from bangfu.accounts.passwords import CharacterClassValidator, PasswordHistoryValidator, character_classes
from tests.accounts.flows import audit_events, post_login

pytestmark = pytest.mark.django_db

CLASS_MESSAGE = "密码须包含小写字母、大写字母、数字、符号中的至少3类。"
HISTORY_MESSAGE = "新密码不能与最近5次使用过的密码相同。"


@pytest.mark.parametrize(
    ("password", "classes"),
    [
        ("abcdefgh", {"lower"}),
        ("abcdEFGH", {"lower", "upper"}),
        ("abcd1234", {"lower", "digit"}),
        ("abcD1234", {"lower", "upper", "digit"}),
        ("ab-d1234", {"lower", "symbol", "digit"}),
        ("帮扶abc12", {"lower", "symbol", "digit"}),
        ("Ab1!", {"lower", "upper", "digit", "symbol"}),
    ],
)
def test_character_classes_are_counted(password: str, classes: set[str]) -> None:
    assert character_classes(password) == classes


def test_two_classes_are_refused_with_chinese_message() -> None:
    with pytest.raises(ValidationError) as exc:
        CharacterClassValidator(min_classes=3).validate("abcd1234")
    assert exc.value.messages == [CLASS_MESSAGE]


def test_three_classes_are_accepted() -> None:
    CharacterClassValidator(min_classes=3).validate("abcD1234")


def test_set_password_reports_every_policy_failure_in_chinese(village_cadre: User) -> None:
    with pytest.raises(ValidationError) as exc:
        services.set_password(user=village_cadre, raw="abc12", by=village_cadre)
    assert exc.value.message_dict == {
        "password": ["密码太短，至少需要8个字符。", CLASS_MESSAGE],
    }


def test_set_password_refuses_the_current_password(village_cadre: User, password: str) -> None:
    with pytest.raises(ValidationError) as exc:
        services.set_password(user=village_cadre, raw=password, by=village_cadre)
    assert exc.value.message_dict == {"password": [HISTORY_MESSAGE]}


def test_set_password_records_history_and_audits(village_cadre: User) -> None:
    services.set_password(user=village_cadre, raw="Second-pass-1", by=village_cadre)
    village_cadre.refresh_from_db()
    assert village_cadre.check_password("Second-pass-1")
    assert village_cadre.password_changed_at is not None
    assert village_cadre.must_change_password is False
    assert PasswordHistory.objects.filter(user=village_cadre).count() == 1
    [event] = [e for e in audit_events("security") if e.operation == "password_changed"]
    assert event.actor_id == village_cadre.pk
    assert event.object_id == str(village_cadre.pk)
    assert event.data == {"detail": {"temporary": False, "by_self": True}}


def test_none_of_the_last_five_passwords_may_be_reused_but_the_sixth_may(village_cadre: User) -> None:
    used = [f"History-pass-{n}" for n in range(1, 7)]
    for raw in used:
        services.set_password(user=village_cadre, raw=raw, by=village_cadre)
    assert PasswordHistory.objects.filter(user=village_cadre).count() == 5
    for raw in used[1:]:
        with pytest.raises(ValidationError) as exc:
            services.set_password(user=village_cadre, raw=raw, by=village_cadre)
        assert exc.value.message_dict == {"password": [HISTORY_MESSAGE]}
    services.set_password(user=village_cadre, raw=used[0], by=village_cadre)
    village_cadre.refresh_from_db()
    assert village_cadre.check_password(used[0])


def test_history_validator_ignores_unsaved_users() -> None:
    PasswordHistoryValidator(history=5).validate("Anything-1", User(username="new"))


def test_password_set_by_someone_else_is_temporary(village_cadre: User, security_admin: User) -> None:
    services.set_password(user=village_cadre, raw="Temporary-pass-1", by=security_admin)
    village_cadre.refresh_from_db()
    assert village_cadre.must_change_password is True


def test_change_password_page_changes_it_and_keeps_the_session(
    client: Client, village_cadre: User, password: str
) -> None:
    client.force_login(village_cadre)
    response = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": "Brand-new-pass-1", "new_password2": "Brand-new-pass-1"},
    )
    assert response.status_code == 302
    village_cadre.refresh_from_db()
    assert village_cadre.check_password("Brand-new-pass-1")
    assert client.get("/accounts/password/").status_code == 200


def test_change_password_page_names_each_wrong_field(client: Client, village_cadre: User) -> None:
    client.force_login(village_cadre)
    response = client.post(
        "/accounts/password/",
        {"old_password": "not-it", "new_password1": "Brand-new-pass-1", "new_password2": "Other-pass-2"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "old_password": ["当前密码不正确。"],
        "new_password2": ["两次输入的新密码不一致。"],
    }


def test_change_password_page_shows_policy_errors_on_the_new_password(
    client: Client, village_cadre: User, password: str
) -> None:
    client.force_login(village_cadre)
    response = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": "abcdefgh", "new_password2": "abcdefgh"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"new_password1": ["这个密码太常见了。", CLASS_MESSAGE]}
    village_cadre.refresh_from_db()
    assert village_cadre.check_password(password)


def test_user_with_temporary_password_is_sent_to_change_it_first(
    client: Client, village_cadre: User, security_admin: User
) -> None:
    services.set_password(user=village_cadre, raw="Temporary-pass-1", by=security_admin)
    response = post_login(client, "village_cadre", "Temporary-pass-1")
    assert response["Location"] == "/accounts/password/"
    # Any other page sends them back until the password is changed.
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/"
    client.post(
        "/accounts/password/",
        {
            "old_password": "Temporary-pass-1",
            "new_password1": "My-own-pass-1",
            "new_password2": "My-own-pass-1",
        },
    )
    village_cadre.refresh_from_db()
    assert village_cadre.must_change_password is False
    assert client.get("/").status_code == 200


def test_anonymous_change_password_goes_to_login(client: Client, db: None) -> None:
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/password/"


def test_temporary_passwords_satisfy_the_policy(village_cadre: User) -> None:
    for _ in range(20):
        raw = services.generate_temporary_password()
        assert len(raw) == 12
        assert {"lower", "upper", "digit"} <= character_classes(raw)


def test_temporary_password_session_cannot_use_the_api(
    client: Client, village_cadre: User, security_admin: User, regions: object
) -> None:
    services.set_password(user=village_cadre, raw="Temporary-pass-1", by=security_admin)
    post_login(client, "village_cadre", "Temporary-pass-1")
    response = client.get("/api/v1/regions/610902001001")
    assert response.status_code == 403
    assert response.json() == {"code": "password_change_required", "message": "请先在网页上修改临时密码。"}
