"""API schemas shared by every router."""

from ninja import Schema


class ErrorOut(Schema):
    """Every API error: a stable machine code and a Chinese message."""

    code: str
    message: str
