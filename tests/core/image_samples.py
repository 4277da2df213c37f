"""Real images for the image tests: rendered text, a shipped photograph, broken and odd files."""

from __future__ import annotations

import base64
import io
import re
from collections import Counter

import pytesseract
import skimage.data
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = [
    "Traceback (most recent call last): payment gateway timeout after 30000 ms",
    "The deployment finished at 14:32 with three warnings and no errors",
    "Retry the request with exponential backoff and a jittered delay",
    "Database connection pool exhausted while serving the checkout page",
    "Invoice number 48213 was issued to the customer on Tuesday morning",
    "Cache hit ratio dropped below sixty percent during the nightly batch",
    "Upload the signed release artifacts to the staging bucket first",
    "Kubernetes evicted the worker pod because memory usage kept growing",
    "Quarterly revenue grew by twelve percent compared with last year",
    "Open the settings panel and enable two factor authentication",
]
_WORD = re.compile(r"[A-Za-z0-9]{3,}")


def text_screenshot(size: int = 30, width: int = 1500) -> Image.Image:
    """Ten lines of black text on white, ``size`` px DejaVu Sans: a text-dense screenshot."""
    img = Image.new("RGB", (width, int(len(LINES) * size * 1.6) + 2 * size), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, size)
    for i, line in enumerate(LINES):
        draw.text((size, size + i * int(size * 1.6)), line, fill="black", font=font)
    return img


def photo() -> Image.Image:
    """scikit-image's astronaut (512x512), a real photograph that ships in its wheel, at 2x."""
    img = Image.fromarray(skimage.data.astronaut())
    return img.resize((1024, 1024), Image.Resampling.LANCZOS)


def encode(img: Image.Image, fmt: str = "PNG", **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode(data: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(data)))


def words(img: Image.Image) -> Counter[str]:
    """What Tesseract reads in ``img``: words of 3+ letters or digits, lower-cased."""
    return Counter(w.lower() for w in _WORD.findall(pytesseract.image_to_string(img.convert("L"))))


def recall(reference: Counter[str], got: Counter[str]) -> float:
    total = sum(reference.values())
    return sum(min(n, got[w]) for w, n in reference.items()) / total


def ocr_recall(original: Image.Image, sent: Image.Image) -> float:
    """Share of the original's OCR words read again in ``sent``, brought back to the original's size."""
    back = sent.convert("RGB").resize(original.size, Image.Resampling.BICUBIC)
    return recall(words(original), words(back))


def anthropic_image(data: bytes, media: str = "image/png") -> dict[str, object]:
    return {"type": "image", "source": {"type": "base64", "media_type": media, "data": b64(data)}}


def data_url(data: bytes, media: str = "image/png") -> str:
    return f"data:{media};base64,{b64(data)}"
