"""Background jobs of the ledger import: thin and idempotent — load by id, call the service."""

from __future__ import annotations

from django_tasks import task

from bangfu.rectification.importing import run_ledger_import
from bangfu.registry.models import ImportRun, ImportStatus


@task()
def run_ledger_import_task(run_id: int) -> str:
    """Run a pending ledger upload (queued by ``start_ledger_import``); returns the run's status. A run no
    longer pending — finished, or picked up by another worker — is left alone."""
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING
    )
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        return "missing"
    if not claimed:
        return str(run.status)
    return str(run_ledger_import(run=run).status)
