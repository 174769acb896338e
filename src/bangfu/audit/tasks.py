"""Background jobs of the audit app."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from bangfu.audit import events
from bangfu.audit.chain import verify_chain


@task()
def verify_audit_chain() -> dict[str, Any]:
    """Walk the whole audit chain and record the outcome as a security event that auditors see in the trail.

    Meant to run nightly, so that an edited or deleted row is noticed even when nobody runs
    ``bangfu audit verify``.
    """
    result = verify_chain()
    outcome = {
        "ok": result.ok,
        "checked": result.checked,
        "first_broken_seq": result.first_broken_seq,
        "reason": result.reason,
    }
    events.security(actor=None, action="audit_chain_verified", detail=outcome)
    return outcome
