"""API tokens: issued once, stored hashed, scoped like the user, revocable; bad ones get Chinese errors."""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from bangfu.accounts.models import ApiToken, User
from bangfu.accounts.tokens import create_token, revoke_token
from bangfu.audit.models import AuditEvent

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
    assert event.data["detail"] == {"token": raw.split("_")[1], "name": "数据对接"}


def test_token_command_rejects_an_unknown_user(db: None) -> None:
    with pytest.raises(CommandError, match="用户不存在或已停用：nobody"):
        call_command("token", "create", "--user", "nobody")
    assert ApiToken.objects.count() == 0
