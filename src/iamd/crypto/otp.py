"""Time-based one-time passwords (RFC 6238, via pyotp) and the QR code of a device's URI."""

from __future__ import annotations

import io

import pyotp
import qrcode
from qrcode.image.pure import PyPNGImage

STEP_SECONDS = 30


class TotpPasswords:
    step_seconds = STEP_SECONDS

    def new_seed(self) -> str:
        return pyotp.random_base32(length=64)  # 320 bits, as AWS's seeds are

    def code(self, seed: str, step: int) -> str:
        return pyotp.TOTP(seed, interval=STEP_SECONDS).at(step * STEP_SECONDS)

    def qr_png(self, text: str) -> bytes:
        image = qrcode.make(text, image_factory=PyPNGImage)
        buffer = io.BytesIO()
        image.save(buffer)
        return buffer.getvalue()
