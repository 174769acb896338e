"""``bangfu token create --user NAME [--name PURPOSE]`` and ``bangfu token revoke PREFIX``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bangfu.accounts.models import ApiToken, User
from bangfu.accounts.tokens import create_token, revoke_token


class Command(BaseCommand):
    help = "创建或吊销 API 令牌"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="为用户创建令牌（只显示一次）")
        create.add_argument("--user", required=True, help="用户名")
        create.add_argument("--name", default="命令行创建", help="令牌用途")
        revoke = sub.add_parser("revoke", help="按前缀吊销令牌")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"用户不存在或已停用：{options['user']}", returncode=1)
            issued = create_token(user=user, name=options["name"], by=None)
            self.stdout.write(issued.raw)
            return
        token = ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True).first()
        if token is None:
            raise CommandError(f"未找到有效令牌：{options['prefix']}", returncode=1)
        revoke_token(token=token, by=None)
        self.stdout.write(f"已吊销：{token.prefix}")
