"""``bangfu reset-second-factor --username NAME``: remove a user's TOTP devices from the server's shell.

The way to re-enrol an admin-role account that lost its phone: on the web the security admin resets only
business accounts' devices (三员分立). Audited (``second_factor_reset`` with no actor); the user sets up a new
device at the next log-in. Exit 1 when the user does not exist.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.accounts import services
from bangfu.accounts.models import User


class Command(BaseCommand):
    help = "重置用户的动态口令设备（用户下次登录时重新绑定）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True, help="用户名")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户不存在：{options['username']}", returncode=1)
        removed = services.reset_second_factor(user=user, by=None)
        self.stdout.write(f"已删除用户 {user.username} 的 {removed} 个动态口令设备，其下次登录时需重新绑定。")
