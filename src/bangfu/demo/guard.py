"""When ``bangfu demo`` may write: its accounts carry a published password, so never into a real system."""

from __future__ import annotations

from django.db import connection

from bangfu.accounts.models import User


class DemoRefused(Exception):
    """The database looks like a real deployment; the message says why in Chinese."""


def check_demo_database(*, demo_usernames: set[str], allow_non_sqlite: bool) -> None:
    """Refuse unless the database is a throw-away one: SQLite (or allowed) and no other accounts."""
    if connection.vendor != "sqlite" and not allow_non_sqlite:
        raise DemoRefused(
            f"演示数据只写入 SQLite 数据库，当前数据库为 {connection.vendor}。"
            "确认这是测试库时请加 --allow-non-sqlite。"
        )
    if "accounts_user" not in connection.introspection.table_names():
        return
    others = User.objects.exclude(username__in=demo_usernames).count()
    if others:
        raise DemoRefused(
            f"数据库中已有 {others} 个非演示账号，拒绝创建公开密码的演示账号。请使用单独的演示数据库。"
        )
