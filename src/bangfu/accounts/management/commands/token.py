"""``bangfu token create --user NAME [--name PURPOSE] [--days N]`` and ``bangfu token revoke PREFIX``.

``create`` prints only the token on standard output (so scripts can capture it) and its end date on
standard error. Exit 1 with the reason in Chinese when the token is refused (unknown or admin-role user).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bangfu.accounts.models import ApiToken, User
from bangfu.accounts.tokens import TokenRefused, create_token, default_days, revoke_token


class Command(BaseCommand):
    help = "创建或吊销 API 令牌"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="为用户创建令牌（只显示一次）")
        create.add_argument("--user", required=True, help="用户名")
        create.add_argument("--name", default="命令行创建", help="令牌用途")
        create.add_argument("--days", type=int, default=None, help=f"有效天数（默认 {default_days()}）")
        revoke = sub.add_parser("revoke", help="按前缀吊销令牌")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"用户不存在或已停用：{options['user']}", returncode=1)
            try:
                issued = create_token(user=user, name=options["name"], by=None, days=options["days"])
            except TokenRefused as exc:
                raise CommandError(str(exc), returncode=1) from exc
            self.stdout.write(issued.raw)
            expires = timezone.localtime(issued.token.expires_at)
            self.stderr.write(f"有效期至 {expires:%Y-%m-%d %H:%M}")
            return
        token = ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True).first()
        if token is None:
            raise CommandError(f"未找到有效令牌：{options['prefix']}", returncode=1)
        revoke_token(token=token, by=None)
        self.stdout.write(f"已吊销：{token.prefix}")
