"""The image corpus of the router's training script and the image benchmark, made here, deterministically.

Kinds and where they come from (nothing is downloaded; everything ships in Debian or PyPI packages):

* ``page``: screenshots of real pages, the HTML documentation pydoc writes for standard-library
  modules, taken by Debian's headless Chromium at desktop and retina (2x) sizes.
* ``document``: pages of real prose (the docstrings of Python's standard library) set in the DejaVu
  fonts Debian ships, at desktop and retina sizes.
* ``terminal``: real source lines of the standard library in DejaVu Sans Mono, light on dark.
* ``ui``: application screens (title bar, sidebar, form, buttons, a table) labelled with real words.
* ``chart``: matplotlib charts of the real data matplotlib ships in ``mpl-data/sample_data``
  (Microsoft's 2003 share prices, monthly prices of ten tickers since 1990, Google's prices).
* ``photo``: the photographs in scikit-image's wheel and matplotlib's ``grace_hopper.jpg``, whole
  and cropped.

Every third image of each kind is held out of training (``split == "test"``). The labels and
measures live here too: OCR word recall with Tesseract, SSIM with scikit-image.
"""

from __future__ import annotations

import inspect
import io
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SANS, SERIF, MONO = "DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf"
TEXT_KINDS = ("page", "document", "terminal", "ui", "chart")
ROUTER_KIND = {"page": "text", "document": "text", "terminal": "text", "ui": "ui", "chart": "chart", "photo": "photo"}
_PAGES = ("json", "textwrap", "csv", "shutil", "heapq", "bisect", "string", "fractions", "statistics", "zipfile",
          "tempfile", "argparse", "functools", "base64", "difflib")  # fmt: skip
_MODULES = ("json", "argparse", "collections", "textwrap", "functools", "pathlib", "subprocess", "logging",
            "csv", "sqlite3", "itertools", "shutil", "tempfile", "zipfile", "datetime", "decimal", "fractions",
            "statistics", "urllib.parse", "http.client", "email.message", "unittest", "threading", "asyncio",
            "inspect", "typing", "dataclasses", "heapq", "bisect", "string")  # fmt: skip


@dataclass(frozen=True)
class Sample:
    """One corpus image."""

    name: str
    kind: str  # document, terminal, ui, chart, photo
    image: Image.Image
    split: str  # train or test

    @property
    def router_kind(self) -> str:
        """The router's class for this kind."""
        return ROUTER_KIND[self.kind]

    def png(self) -> bytes:
        """The image as PNG bytes (photos as high-quality JPEG, as a camera would give them)."""
        buf = io.BytesIO()
        if self.kind == "photo":
            self.image.convert("RGB").save(buf, "JPEG", quality=92)
        else:
            self.image.save(buf, "PNG")
        return buf.getvalue()


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), size)


def _prose() -> list[str]:
    import importlib

    words: list[str] = []
    for mod in _MODULES:
        m = importlib.import_module(mod)
        docs = [inspect.getdoc(m) or ""]
        docs += [inspect.getdoc(v) or "" for k, v in sorted(vars(m).items()) if not k.startswith("_") and callable(v)]
        words += " ".join(docs).split()
    return [w for w in words if w.isprintable()]


def _code_lines() -> list[str]:
    import importlib

    lines: list[str] = []
    for mod in ("json.decoder", "argparse", "collections", "textwrap", "functools", "pathlib", "subprocess",
                "logging", "csv", "shutil", "tempfile", "zipfile"):  # fmt: skip
        src = inspect.getsource(importlib.import_module(mod))
        lines += [ln.rstrip().replace("\t", "    ") for ln in src.splitlines() if ln.strip()]
    return lines


def _wrap(draw: ImageDraw.ImageDraw, words: list[str], font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, cur = [], ""
    for w in words:
        nxt = f"{cur} {w}".strip()
        if draw.textlength(nxt, font=font) > width and cur:
            lines.append(cur)
            cur = w
        else:
            cur = nxt
    return [*lines, cur]


def document(rng: random.Random, prose: list[str]) -> Image.Image:
    """A page of prose."""
    retina = rng.random() < 0.4
    size = rng.randint(13, 24) * (2 if retina else 1)
    width = min(rng.choice((900, 1200, 1440, 1600)) * (2 if retina else 1), 2880)
    height = int(width * rng.uniform(0.5, 0.9))
    bg = rng.choice(("white", "#fdfdf8", "#f4f4f4"))
    img = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    font = _font(rng.choice((SANS, SERIF)), size)
    margin, y, lead = width // 12, width // 14, int(size * rng.uniform(1.3, 1.6))
    start = rng.randrange(len(prose) - 4000)
    words = prose[start : start + 4000]
    for line in _wrap(draw, words, font, width - 2 * margin):
        if y + lead > height - margin:
            break
        draw.text((margin, y), line, fill=rng.choice(("black", "#222", "#333")), font=font)
        y += lead
    return img


def terminal(rng: random.Random, code: list[str]) -> Image.Image:
    """A terminal window of source lines."""
    retina = rng.random() < 0.4
    size = rng.randint(12, 20) * (2 if retina else 1)
    font = _font(MONO, size)
    cols, rows = rng.choice(((100, 30), (120, 40), (80, 24), (140, 45)))
    cw = int(font.getlength("M")) + 1
    lead = int(size * 1.25)
    img = Image.new("RGB", (cols * cw + 2 * cw, rows * lead + 2 * lead), rng.choice(("#1e1e1e", "#000", "#002b36")))
    draw = ImageDraw.Draw(img)
    start = rng.randrange(len(code) - rows)
    colours = ("#d4d4d4", "#eeeeee", "#93a1a1", "#9cdcfe")
    for r, line in enumerate(code[start : start + rows]):
        draw.text((cw, lead + r * lead), line[:cols], fill=rng.choice(colours), font=font)
    return img


def ui(rng: random.Random, prose: list[str]) -> Image.Image:
    """An application screen: title bar, sidebar, form, buttons and a table."""
    s = 2 if rng.random() < 0.4 else 1
    w, h = rng.choice(((1280, 800), (1440, 900), (1366, 768), (1024, 768)))
    img = Image.new("RGB", (w * s, h * s), "#ffffff")
    d = ImageDraw.Draw(img)
    fs = rng.randint(13, 18)
    font, bold = _font(SANS, fs * s), _font("DejaVuSans-Bold.ttf", (fs + 4) * s)
    accent = rng.choice(("#1f6feb", "#2da44e", "#8250df", "#d1242f", "#0969da"))
    pick = [w for w in prose if w.isalpha() and 3 <= len(w) <= 12]
    d.rectangle((0, 0, w * s, 48 * s), fill=accent)
    d.text((16 * s, 12 * s), " ".join(rng.sample(pick, 3)).title(), fill="white", font=bold)
    d.rectangle((0, 48 * s, 220 * s, h * s), fill="#f6f8fa")
    for i in range(rng.randint(8, 14)):
        d.text((20 * s, (70 + i * 36) * s), rng.choice(pick).capitalize(), fill="#24292f", font=font)
    x0, y = 260 * s, 76 * s
    d.text((x0, y), " ".join(rng.sample(pick, 4)).capitalize(), fill="#1f2328", font=bold)
    y += 50 * s
    for _ in range(rng.randint(2, 4)):
        d.text((x0, y), rng.choice(pick).capitalize() + ":", fill="#57606a", font=font)
        d.rounded_rectangle((x0 + 160 * s, y - 6 * s, x0 + 520 * s, y + 26 * s), 4 * s, outline="#d0d7de", width=s)
        d.text((x0 + 170 * s, y), " ".join(rng.sample(pick, 2)), fill="#1f2328", font=font)
        y += 46 * s
    for k in range(rng.randint(2, 3)):
        bx = x0 + k * 150 * s
        d.rounded_rectangle((bx, y, bx + 130 * s, y + 36 * s), 6 * s, fill=accent if k == 0 else "#eaeef2")
        d.text(
            (bx + 16 * s, y + 9 * s), rng.choice(pick).capitalize(), fill="white" if k == 0 else "#24292f", font=font
        )
    y += 70 * s
    for _ in range(rng.randint(5, 10)):
        if y > (h - 40) * s:
            break
        d.line((x0, y - 8 * s, (w - 40) * s, y - 8 * s), fill="#d0d7de", width=s)
        for c in range(4):
            d.text((x0 + c * 200 * s, y), " ".join(rng.sample(pick, 1 + (c == 0))), fill="#24292f", font=font)
        y += 34 * s
    return img


def _sample_data() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data"


def chart(rng: random.Random, n: int) -> Image.Image:
    """A matplotlib chart of data matplotlib ships."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    data = _sample_data()
    fig, ax = plt.subplots(figsize=(rng.uniform(6, 12), rng.uniform(4, 7)), dpi=rng.choice((100, 150, 200)))
    which = n % 3
    if which == 0:
        rows = np.genfromtxt(data / "msft.csv", delimiter=",", names=True, dtype=None, encoding="utf-8")
        cols = rows.dtype.names[1:5]
        for col in rng.sample(list(cols), rng.randint(1, 3)):
            ax.plot(rows[col][::-1], label=col)
        ax.set_title("Microsoft share price, 2003 (msft.csv)")
        ax.set_xlabel("trading day")
        ax.set_ylabel("USD")
    elif which == 1:
        rows = np.genfromtxt(
            data / "Stocks.csv", delimiter=",", names=True, skip_header=1, dtype=None, encoding="utf-8"
        )
        tickers = rng.sample([t for t in rows.dtype.names[1:] if not t.startswith("_")], rng.randint(2, 5))
        years = np.array([int(str(d)[:4]) + int(str(d)[5:7]) / 12 for d in rows["Date"]])
        if rng.random() < 0.6:
            for t in tickers:
                ax.plot(years, rows[t], label=t)
            ax.set_yscale("log")
        else:
            ax.bar(tickers, [np.nanmax(rows[t]) for t in tickers], color="tab:blue")
        ax.set_title("Monthly closing prices since 1990 (Stocks.csv)")
        ax.set_xlabel("year" if ax.lines else "ticker")
        ax.set_ylabel("USD")
    else:
        with np.load(data / "goog.npz") as z:
            price = z["price_data"]
        ax.scatter(price["open"][:300], price["volume"][:300] / 1e6, s=6, c=price["close"][:300], cmap="viridis")
        ax.set_title("Google: opening price against volume")
        ax.set_xlabel("open (USD)")
        ax.set_ylabel("volume (millions)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=rng.choice((8, 9, 10)))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def photos(rng: random.Random) -> Iterator[tuple[str, Image.Image]]:
    """The photographs scikit-image and matplotlib ship, whole and with crops of the larger ones."""
    import skimage.data as sd

    names = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "motorcycle_left", "retina",
             "camera", "coins", "moon", "immunohistochemistry", "cat", "motorcycle_right", "horse")  # fmt: skip
    for name in names:
        try:
            arr = sd.motorcycle_left() if name == "motorcycle_right" else getattr(sd, name)()
        except Exception:  # a fetcher that needs the network: not shipped in the wheel
            continue
        img = Image.fromarray(arr if name != "horse" else (~arr).astype("uint8") * 255).convert("RGB")
        if name == "motorcycle_right":
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT).crop((0, 0, img.width // 2, img.height // 2))
        yield name, img
        if img.width >= 800:
            w, h = img.size
            x, y = rng.randrange(w // 3), rng.randrange(h // 3)
            yield f"{name}-crop", img.crop((x, y, x + w * 2 // 3, y + h * 2 // 3))
    yield "grace_hopper", Image.open(_sample_data() / "grace_hopper.jpg").convert("RGB")


def pages(rng: random.Random) -> Iterator[tuple[str, Image.Image]]:
    """Headless Chromium screenshots of pydoc's HTML pages for standard-library modules."""
    import importlib
    import pydoc
    import shutil
    import subprocess
    import tempfile

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise RuntimeError("the image corpus needs Debian's chromium: apt-get install chromium")
    with tempfile.TemporaryDirectory() as tmp:
        for i, mod in enumerate(_PAGES):
            src = Path(tmp) / f"{mod}.html"
            src.write_text(pydoc.html.page(mod, pydoc.html.document(importlib.import_module(mod))), encoding="utf-8")
            out = Path(tmp) / f"{mod}.png"
            w, h = rng.choice(((1280, 800), (1440, 900), (1366, 768), (1920, 1080)))
            scale = 2 if i % 3 == 1 else 1
            cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={w},{h}",
                   f"--force-device-scale-factor={scale}", f"--screenshot={out}", src.as_uri()]  # fmt: skip
            subprocess.run(cmd, check=True, capture_output=True, timeout=120)
            yield f"page-{mod}", Image.open(out).convert("RGB")


def build(seed: int = 16, per_kind: int = 18) -> list[Sample]:
    """The whole corpus; every third image of each kind is in the test split."""
    rng = random.Random(seed)
    prose, code = _prose(), _code_lines()
    made: dict[str, list[tuple[str, Image.Image]]] = {
        "document": [(f"doc-{i}", document(rng, prose)) for i in range(per_kind)],
        "terminal": [(f"term-{i}", terminal(rng, code)) for i in range(per_kind * 2 // 3)],
        "ui": [(f"ui-{i}", ui(rng, prose)) for i in range(per_kind)],
        "chart": [(f"chart-{i}", chart(rng, i)) for i in range(per_kind)],
        "photo": list(photos(rng)),
        "page": list(pages(random.Random(seed + 1))),  # its own generator: the kinds above stay as they were
    }
    return [
        Sample(name, kind, img, "test" if i % 3 == 2 else "train")
        for kind, items in made.items()
        for i, (name, img) in enumerate(items)
    ]


_WORD = re.compile(r"[A-Za-z0-9]{3,}")


def ocr_words(img: Image.Image) -> Counter[str]:
    """The words Tesseract reads in ``img`` (3+ letters or digits, lower-cased, with counts)."""
    import pytesseract

    return Counter(w.lower() for w in _WORD.findall(pytesseract.image_to_string(img.convert("L"))))


def recall(reference: Counter[str], got: Counter[str]) -> float:
    """The share of the reference's words (with multiplicity) found again."""
    total = sum(reference.values())
    return sum(min(n, got[w]) for w, n in reference.items()) / total if total else 1.0


def shrink(img: Image.Image, scale: float) -> Image.Image:
    """``img`` at ``scale`` (Lanczos), as the compressor resizes."""
    w, h = img.size
    return img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)


def back(small: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A shrunk image brought back to ``size`` (bicubic), to compare it with the original."""
    return small.convert("RGB").resize(size, Image.Resampling.BICUBIC)


def ssim(a: Image.Image, b: Image.Image) -> float:
    """SSIM of two same-sized images on their grey levels (scikit-image)."""
    import numpy as np
    from skimage.metrics import structural_similarity

    x, y = np.asarray(a.convert("L"), dtype=float), np.asarray(b.convert("L"), dtype=float)
    return float(structural_similarity(x, y, data_range=255.0))
