"""Operator commands that change reference data or keys leave a record in the audit trail."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bangfu.audit.models import AuditEvent
from bangfu.regions.codes import is_scope_prefix
from bangfu.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("prefix", ["61", "6109", "610902", "610902100", "610902100201"])
def test_real_region_prefixes_are_accepted(prefix: str) -> None:
    assert is_scope_prefix(prefix)


@pytest.mark.parametrize("prefix", ["6100", "610900", "610902000", "610902100000", "6", "61a9", ""])
def test_padded_or_malformed_prefixes_are_refused(prefix: str) -> None:
    assert not is_scope_prefix(prefix)


def test_load_regions_refuses_a_padded_prefix_and_writes_nothing() -> None:
    with pytest.raises(CommandError, match="区划代码前缀“6100”无效"):
        call_command("load_regions", "--prefix", "6100")
    assert Region.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_load_regions_is_recorded_in_the_audit_trail() -> None:
    call_command("load_regions", "--prefix", "610902")
    event = AuditEvent.objects.get()
    assert event.operation == "regions_loaded"
    assert event.data["detail"]["prefix"] == "610902"
    assert event.data["detail"]["created"] == Region.objects.count()


def test_rotate_keys_is_recorded_in_the_audit_trail() -> None:
    call_command("rotate_keys")
    event = AuditEvent.objects.get()
    assert event.operation == "keys_rotated"
    assert event.data["detail"]["key_id"] == "k1"
    # Every model with encrypted fields is visited; with no rows, none was re-encrypted.
    assert event.data["detail"]["reencrypted"] == {
        "datasets.DatasetRecord": 0,
        "monitoring.Lead": 0,
        "registry.ChangeRequest": 0,
        "registry.Household": 0,
        "registry.Member": 0,
    }
