"""``bangfu create-user``: create an account from the server's shell (deployment, demo).

The password is read from standard input (never a command-line argument, which other users of the server
could read in the process list). Exit 1 with the reasons in Chinese when the input is rejected.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.accounts import services
from bangfu.accounts.models import Role, Sector
from bangfu.regions.models import Region

FIELD_LABELS = {
    "username": "用户名",
    "role": "角色",
    "region": "管辖区域",
    "sector": "行业",
    "password": "密码",
}


class Command(BaseCommand):
    help = "创建用户账号（密码从标准输入读取）。"
    # ``call_command(..., stdin=StringIO(...))`` lets tests and the demo feed the password.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True, help="用户名")
        parser.add_argument("--role", required=True, help="角色：" + ", ".join(Role.values))
        parser.add_argument("--region", default="", help="管辖区域的12位区划代码（三员不填）")
        parser.add_argument("--sector", default="", help="行业（仅行业部门）：" + ", ".join(Sector.values))
        parser.add_argument("--full-name", default="", help="姓名")
        parser.add_argument("--unit", default="", help="单位")
        parser.add_argument(
            "--password-stdin", action="store_true", required=True, help="从标准输入读取密码（第一行）"
        )
        parser.add_argument("--must-change-password", action="store_true", help="要求用户首次登录时修改密码")

    def handle(self, *args: Any, **options: Any) -> None:
        stream = options.get("stdin") or sys.stdin
        password = stream.readline().rstrip("\r\n")
        region: Region | None = None
        if code := options["region"].strip():
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise CommandError(f"管辖区域: 区划代码不存在：{code}", returncode=1)
        try:
            user = services.create_user(
                by=None,
                username=options["username"],
                role=options["role"].strip(),
                region=region,
                sector=options["sector"].strip(),
                full_name=options["full_name"],
                unit=options["unit"],
                password=password,
                must_change_password=options["must_change_password"],
            )
        except ValidationError as exc:
            lines = [
                f"{FIELD_LABELS.get(field, field)}: {message}"
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
            raise CommandError("\n".join(lines), returncode=1) from exc
        self.stdout.write(f"已创建用户 {user.username}（{user.get_role_display()}）。")
