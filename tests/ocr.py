"""Reading a card's text back with Tesseract (Debian: tesseract-ocr, tesseract-ocr-rus; .ci/run installs them).

Required where CI or REQUIRE_OCR is set; skipped only on a developer's machine without Tesseract.
"""

import io
import os
import shutil
import subprocess

import pytest
from PIL import ImageOps


def read(image, box):
    """The Russian text Tesseract reads in `box` of `image` (light ink on a dark panel, so inverted)."""
    tesseract = shutil.which("tesseract")
    if not tesseract:
        if os.environ.get("CI") or os.environ.get("REQUIRE_OCR"):
            pytest.fail("tesseract is required here (apt-get install tesseract-ocr tesseract-ocr-rus)")
        pytest.skip("tesseract is not installed")
    buffer = io.BytesIO()
    ImageOps.invert(image.crop(box).convert("L")).save(buffer, "PNG")
    result = subprocess.run(
        [tesseract, "stdin", "stdout", "-l", "rus", "--psm", "6"],
        input=buffer.getvalue(),
        capture_output=True,
        timeout=60,
        check=True,
    )
    return " ".join(result.stdout.decode().split())
