"""``bangfu worker``: run background tasks from the database queue (django-tasks-db's worker)."""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand


class Command(DatabaseWorkerCommand):
    help = "运行后台任务（数据库队列，无需消息中间件）"
