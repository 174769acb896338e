"""No ID number or phone number reaches the console log, whoever logs it (request lines included)."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings

from bangfu.core.logfilters import MaskPersonalData, mask_text
from tests.factories import synthetic_id_number

ID = synthetic_id_number(birth=__import__("datetime").date(1990, 1, 1), sex="male", serial=7)


def test_mask_text_masks_id_numbers_and_mobiles_but_not_longer_digit_runs() -> None:
    line = f'"GET /households/?q={ID}&phone=13912345678 HTTP/1.1" 200 order=123456789012345678901'
    assert mask_text(line) == (
        f'"GET /households/?q={ID[:6]}********{ID[-4:]}&phone=139****5678 HTTP/1.1" 200 '
        "order=123456789012345678901"
    )


@pytest.mark.parametrize("logger_name", ["django.server", "django.request", "bangfu.registry.importing"])
def test_every_configured_logger_masks_personal_numbers(
    logger_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The filter sits on the console handler that settings.LOGGING gives these loggers.
    handlers = logging.getLogger(logger_name)
    while handlers.handlers == [] and handlers.propagate and handlers.parent is not None:
        handlers = handlers.parent
    assert any(isinstance(f, MaskPersonalData) for handler in handlers.handlers for f in handler.filters), (
        settings.LOGGING
    )
    record = logging.LogRecord(logger_name, logging.INFO, __file__, 1, '"GET /?q=%s" 200', (ID,), None)
    for handler in handlers.handlers:
        for log_filter in handler.filters:
            log_filter.filter(record)
    assert ID not in record.getMessage()
    assert record.getMessage() == f'"GET /?q={ID[:6]}********{ID[-4:]}" 200'
