"""``bangfu reset-password --username NAME --password-stdin``: set a password from the server's shell.

The way to give an admin-role account (审计员/安全管理员/系统管理员) a new password: on the web the security
admin resets only business accounts (三员分立). The password is read from standard input (the first line),
never from the command line where other users of the server could read it in the process list. Audited
(``password_reset`` with channel ``command``); also lifts a lock-out. Exit 1 with the reasons in Chinese.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.accounts import services
from bangfu.accounts.models import User


class Command(BaseCommand):
    help = "重置用户密码（新密码从标准输入读取）。"
    # ``call_command(..., stdin=StringIO(...))`` lets tests feed the password.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True, help="用户名")
        parser.add_argument(
            "--password-stdin", action="store_true", required=True, help="从标准输入读取新密码（第一行）"
        )
        parser.add_argument("--must-change-password", action="store_true", help="要求用户下次登录时修改密码")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户不存在：{options['username']}", returncode=1)
        stream = options.get("stdin") or sys.stdin
        password = stream.readline().rstrip("\r\n")
        try:
            services.reset_password_on_server(
                user=user, raw=password, must_change_password=options["must_change_password"]
            )
        except ValidationError as exc:
            lines = [f"密码: {message}" for message in exc.message_dict.get("password", exc.messages)]
            raise CommandError("\n".join(lines), returncode=1) from exc
        self.stdout.write(f"已重置用户 {user.username} 的密码。")
