"""QR codes drawn on the server (no external service): an SVG as a ``data:`` URI for an ``<img>``."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg


def svg_data_uri(text: str, *, box_size: int = 8, border: int = 2) -> str:
    """The QR code of ``text`` as an SVG ``data:`` URI (allowed by the CSP's ``img-src``)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size, border=border)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
