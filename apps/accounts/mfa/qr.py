"""The authenticator-app QR code, drawn on the server as SVG: no external service sees the key."""

from __future__ import annotations

import base64
from base64 import b32encode

from django_otp.plugins.otp_totp.models import TOTPDevice


def otpauth_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI apps read from the QR code (issuer from settings.OTP_TOTP_ISSUER)."""
    uri: str = device.config_url
    return uri


def qr_svg(data: str) -> str:
    """`data` as a QR code in SVG: one path on a white square, no style attributes."""
    import qrcode  # only the enrolment page draws one: not loaded by every page worker
    from qrcode.image.svg import SvgPathFillImage

    image = qrcode.make(data, image_factory=SvgPathFillImage, box_size=10, border=4)
    svg: str = image.to_string(encoding="unicode")
    return svg


def qr_data_uri(data: str) -> str:
    """`data` as a QR code for an <img src>: a data: URI, which our CSP allows for images."""
    encoded = base64.b64encode(qr_svg(data).encode()).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def manual_key(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
