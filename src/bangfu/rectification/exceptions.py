"""Errors of the rectification app."""

from __future__ import annotations


class RectificationRefused(Exception):
    """A write refused for its content; ``message`` is Chinese."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        # The form field the message belongs beside ("" for the whole form).
        self.field = field
