"""API tokens: issued once, stored hashed, scoped like the user, expiring, revocable, never held by 三员; bad
ones get Chinese errors; the "我的API令牌" page lists, creates and revokes one's own."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from bangfu.accounts.models import ApiToken, Role, User
from bangfu.accounts.tokens import MalformedToken, TokenRefused, create_token, revoke_token, user_for_token
from bangfu.audit.models import AuditEvent
from bangfu.regions.models import Region
from tests.factories import UserFactory
from tests.permissions import BUSINESS_PERSONAS, VILLAGE, PermissionMatrix, Route, client_for

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_token_is_stored_only_as_its_digest(village_cadre: User) -> None:
    issued = create_token(user=village_cadre, name="脚本", by=None)
    row = ApiToken.objects.get()
    assert row.digest == hashlib.sha256(issued.raw.encode()).hexdigest()
    assert issued.raw not in {row.digest, row.prefix, row.name}
    assert issued.raw.startswith(f"bf_{row.prefix}_")


def test_token_reads_the_users_own_village_and_not_another(village_cadre: User) -> None:
    raw = create_token(user=village_cadre, name="脚本", by=None).raw
    client = Client()
    own = client.get("/api/v1/regions/610902001001", **bearer(raw))
    other = client.get("/api/v1/regions/610902001002", **bearer(raw))
    assert own.status_code == 200
    assert own.json()["name"] == "东关村"
    assert other.status_code == 404
    assert other.json() == {"code": "not_found", "message": "未找到该对象，或不在您的管辖范围内"}


def test_malformed_token_gets_a_chinese_json_error(regions: object) -> None:
    response = Client().get("/api/v1/regions/610902001001", **bearer("not-a-token"))
    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "message": "API令牌格式不正确"}


def test_revoked_token_is_refused(village_cadre: User) -> None:
    issued = create_token(user=village_cadre, name="脚本", by=None)
    revoke_token(token=issued.token, by=None)
    response = Client().get("/api/v1/regions/610902001001", **bearer(issued.raw))
    assert response.status_code == 401
    assert response.json()["message"] == "API令牌无效或已吊销"


def test_token_of_a_deactivated_user_is_refused(village_cadre: User) -> None:
    raw = create_token(user=village_cadre, name="脚本", by=None).raw
    User.objects.filter(pk=village_cadre.pk).update(is_active=False)
    assert Client().get("/api/v1/regions/610902001001", **bearer(raw)).status_code == 401


def test_token_command_prints_a_working_token_and_audits_it(
    village_cadre: User, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("token", "create", "--user", "village_cadre", "--name", "数据对接")
    raw = capsys.readouterr().out.strip()
    assert Client().get("/api/v1/regions/610902001001", **bearer(raw)).status_code == 200
    event = AuditEvent.objects.get(action="security")
    token = ApiToken.objects.get()
    assert event.data["detail"] == {
        "token": raw.split("_")[1],
        "name": "数据对接",
        "expires_at": timezone.localtime(token.expires_at).isoformat(),
    }


def test_token_command_rejects_an_unknown_user(db: None) -> None:
    with pytest.raises(CommandError, match="用户不存在或已停用：nobody"):
        call_command("token", "create", "--user", "nobody")
    assert ApiToken.objects.count() == 0


# --- 三员 hold no tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["auditor", "security_admin", "system_admin"])
def test_no_token_is_issued_to_an_admin_role(persona: str, request: pytest.FixtureRequest) -> None:
    user: User = request.getfixturevalue(persona)
    with pytest.raises(TokenRefused, match=f"管理员角色（三员）不能持有API令牌：{persona}"):
        create_token(user=user, name="脚本", by=None)
    assert ApiToken.objects.count() == 0
    assert AuditEvent.objects.filter(action="security").count() == 0


def test_token_command_refuses_an_admin_role_with_exit_1(auditor: User) -> None:
    with pytest.raises(CommandError, match="管理员角色（三员）不能持有API令牌：auditor") as exc:
        call_command("token", "create", "--user", "auditor")
    assert exc.value.returncode == 1
    assert ApiToken.objects.count() == 0


def test_token_of_a_user_who_became_an_admin_role_is_refused(village_cadre: User) -> None:
    raw = create_token(user=village_cadre, name="脚本", by=None).raw
    User.objects.filter(pk=village_cadre.pk).update(role=Role.AUDITOR, region=None)
    response = Client().get("/api/v1/regions/610902001001", **bearer(raw))
    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "message": "API令牌无效或已吊销"}


# --- expiry -----------------------------------------------------------------------------------------------


def test_token_expires_after_the_configured_days_by_default(village_cadre: User, settings: Settings) -> None:
    settings.BANGFU_API_TOKEN_DAYS = 30
    before = timezone.now()
    token = create_token(user=village_cadre, name="脚本", by=None).token
    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)


def test_expired_token_gets_401_saying_so(village_cadre: User) -> None:
    issued = create_token(user=village_cadre, name="脚本", by=None, days=1)
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get("/api/v1/regions/610902001001", **bearer(issued.raw))
    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "message": "API令牌已过期"}
    assert ApiToken.objects.get().last_used_at is None


def test_token_still_works_just_before_it_expires(village_cadre: User) -> None:
    issued = create_token(user=village_cadre, name="脚本", by=None, days=1)
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() + timedelta(minutes=1))
    assert Client().get("/api/v1/regions/610902001001", **bearer(issued.raw)).status_code == 200


def test_token_command_takes_days(village_cadre: User, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("token", "create", "--user", "village_cadre", "--days", "7")
    captured = capsys.readouterr()
    token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == pytest.approx(timedelta(days=7), abs=timedelta(seconds=5))
    assert captured.err == f"有效期至 {timezone.localtime(token.expires_at):%Y-%m-%d %H:%M}\n"


@pytest.mark.parametrize("days", ["0", "-3", "3651"])
def test_token_command_refuses_a_lifetime_out_of_range(village_cadre: User, days: str) -> None:
    with pytest.raises(CommandError, match=f"有效天数必须在1到3650之间：{days}") as exc:
        call_command("token", "create", "--user", "village_cadre", "--days", days)
    assert exc.value.returncode == 1
    assert ApiToken.objects.count() == 0


def test_a_token_followed_by_a_newline_is_malformed(village_cadre: User) -> None:
    raw = create_token(user=village_cadre, name="脚本", by=None).raw
    with pytest.raises(MalformedToken):
        user_for_token(raw + "\n")
    assert user_for_token(raw) == village_cadre


# --- 我的API令牌 -------------------------------------------------------------------------------------------

TOKENS_URL = "/accounts/tokens/"


def test_token_page_lists_only_my_tokens(village_cadre: User, other_village_cadre: User) -> None:
    mine = create_token(user=village_cadre, name="我的脚本", by=None).token
    create_token(user=other_village_cadre, name="别人的脚本", by=None)
    response = client_for(village_cadre).get(TOKENS_URL)
    assert response.status_code == 200
    assert [(token.pk, status) for token, status in response.context["rows"]] == [(mine.pk, "active")]
    text = response.content.decode()
    assert f"bf_{mine.prefix}_" in text
    assert "别人的脚本" not in text


def test_token_page_creates_a_token_and_shows_it_once(village_cadre: User) -> None:
    client = client_for(village_cadre)
    response = client.post(TOKENS_URL, {"name": "数据对接", "days": "90"})
    assert response.status_code == 200
    raw = response.context["issued"].raw
    assert raw in response.content.decode()
    token = ApiToken.objects.get()
    assert (token.user_id, token.name) == (village_cadre.pk, "数据对接")
    assert token.expires_at - token.created_at == pytest.approx(timedelta(days=90), abs=timedelta(seconds=5))
    assert Client().get("/api/v1/regions/610902001001", **bearer(raw)).status_code == 200
    # The list never shows the secret again.
    assert raw not in client.get(TOKENS_URL).content.decode()
    event = AuditEvent.objects.get(action="security")
    assert (event.operation, event.actor_id) == ("api_token_created", village_cadre.pk)


def test_token_page_refuses_more_days_than_the_setting(village_cadre: User, settings: Settings) -> None:
    settings.BANGFU_API_TOKEN_DAYS = 30
    response = client_for(village_cadre).post(TOKENS_URL, {"name": "数据对接", "days": "31"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"days": ["确保该值小于或等于30。"]}
    assert ApiToken.objects.count() == 0


def test_token_page_revokes_my_token(village_cadre: User) -> None:
    issued = create_token(user=village_cadre, name="脚本", by=None)
    response = client_for(village_cadre).post(f"/accounts/tokens/{issued.token.pk}/revoke/")
    assert response.status_code == 302
    assert response["Location"] == TOKENS_URL
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    assert Client().get("/api/v1/regions/610902001001", **bearer(issued.raw)).status_code == 401
    event = AuditEvent.objects.get(operation="api_token_revoked")
    assert (event.actor_id, event.data) == (village_cadre.pk, {"detail": {"token": issued.token.prefix}})


def test_nobody_revokes_anothers_token(village_cadre: User, other_village_cadre: User) -> None:
    issued = create_token(user=other_village_cadre, name="脚本", by=None)
    response = client_for(village_cadre).post(f"/accounts/tokens/{issued.token.pk}/revoke/")
    assert response.status_code == 404
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None
    assert not AuditEvent.objects.filter(operation="api_token_revoked").exists()


def test_revoke_needs_post(village_cadre: User) -> None:
    issued = create_token(user=village_cadre, name="脚本", by=None)
    assert client_for(village_cadre).get(f"/accounts/tokens/{issued.token.pk}/revoke/").status_code == 405
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


def test_token_page_marks_expired_and_revoked_tokens(village_cadre: User) -> None:
    expired = create_token(user=village_cadre, name="旧脚本", by=None, days=1).token
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    revoked = create_token(user=village_cadre, name="停用脚本", by=None).token
    revoke_token(token=revoked, by=village_cadre)
    response = client_for(village_cadre).get(TOKENS_URL)
    assert {token.pk: status for token, status in response.context["rows"]} == {
        expired.pk: "expired",
        revoked.pk: "revoked",
    }


def make_token_of_someone_else() -> dict[str, object]:
    """A token of a 东关村 team member who is none of the personas."""
    owner = UserFactory(
        username="token_owner", role=Role.VILLAGE_TEAM, region=Region.objects.get(code=VILLAGE)
    )
    return {"pk": create_token(user=owner, name="别人的脚本", by=None).token.pk}


def token_rows() -> list[tuple[object, ...]]:
    return list(ApiToken.objects.order_by("pk").values_list("user_id", "name", "revoked_at"))


class TestTokenPagePermissions(PermissionMatrix):
    """Business roles manage their own tokens; 三员 hold none, so the pages are not theirs; another user's
    token is "not found" to everyone."""

    routes = [  # noqa: RUF012 — the matrix mixin reads a plain list
        Route(TOKENS_URL, allowed=BUSINESS_PERSONAS),
        Route(
            TOKENS_URL,
            method="post",
            data={"name": "x", "days": "1"},
            allowed=BUSINESS_PERSONAS,
            state=token_rows,
        ),
        Route(
            "/accounts/tokens/{pk}/revoke/",
            method="post",
            allowed=frozenset(),
            outside=BUSINESS_PERSONAS,
            setup=make_token_of_someone_else,
            state=token_rows,
        ),
    ]


def test_refused_tokens_are_audited_with_their_public_prefix_only(village_cadre: User) -> None:
    issued = create_token(user=village_cadre, name="脚本", by=None)
    revoke_token(token=issued.token, by=None)
    Client().get("/api/v1/regions/610902001001", **bearer(issued.raw))
    Client().get("/api/v1/regions/610902001001", **bearer("garbage-secret-text"))
    refused = AuditEvent.objects.filter(operation="api_token_refused").order_by("seq")
    assert [e.data["detail"] for e in refused] == [
        {"token": issued.token.prefix, "reason": "unknown_or_revoked"},
        {"token": "", "reason": "malformed"},
    ]
    stored = " ".join(str(e.data) + e.object_repr for e in AuditEvent.objects.all())
    assert issued.raw.split("_", 2)[2] not in stored
    assert "garbage-secret-text" not in stored
