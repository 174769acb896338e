"""Background jobs of the registry: thin and idempotent (CONVENTIONS §21) — load by id, call the service."""

from __future__ import annotations

from django_tasks import task

from bangfu.registry.importing import import_households
from bangfu.registry.models import ImportRun, ImportStatus


@task()
def run_import(run_id: int) -> str:
    """Run a pending household import (``importing.start_import`` enqueues it on commit); returns the run's
    status. A run that is no longer pending — finished, or picked up by another worker — is left alone, so
    a task delivered twice does the work once."""
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING
    )
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        return "missing"
    if not claimed:
        return str(run.status)
    return str(import_households(run=run).status)
