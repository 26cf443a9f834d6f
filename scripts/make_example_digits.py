"""Make the example pictures for notebook 08: MNIST test digits re-drawn the way people photograph digits.

Each picture is one MNIST test digit, enlarged and restyled (dark ink on paper, coloured pen and
paper, off-centre on a wide page, a transparent background, chalk on a board, a thick marker, a
faint pencil), so its true label is known. Run `make examples` (`python -m scripts.make_example_digits`)
to remake them; the output is the same on every run.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

from helpers.data import load_mnist
from helpers.paths import examples_dir, write_atomically

OUT = examples_dir()


def _enlarge(digit: np.ndarray, size: int) -> np.ndarray:
    """A 28×28 digit as a smooth size×size ink map in [0, 1]."""
    return np.asarray(Image.fromarray(digit).resize((size, size), Image.Resampling.BICUBIC), dtype=np.float32) / 255


def _paint(ink: np.ndarray, paper: tuple[int, ...], pen: tuple[int, ...]) -> Image.Image:
    """Mix a pen colour into a paper colour by the amount of ink."""
    ink = np.clip(ink, 0, 1)[..., None]
    pixels = np.asarray(paper, np.float32) * (1 - ink) + np.asarray(pen, np.float32) * ink
    return Image.fromarray(np.round(pixels).astype(np.uint8).squeeze())


def _place(ink: np.ndarray, height: int, width: int, top: int, left: int) -> np.ndarray:
    page = np.zeros((height, width), np.float32)
    page[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    return page


def paper(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Black ink on white paper, ten times MNIST's size (grayscale)."""
    return _paint(_enlarge(digit, 280), (250,), (15,))


def blue_pen(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Blue ink on yellow paper (RGB)."""
    return _paint(_enlarge(digit, 224), (255, 240, 190), (25, 45, 150))


def off_centre(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """A small digit in the top-left part of a wide page (RGB)."""
    page = _place(_enlarge(digit, 112), 300, 420, int(rng.integers(10, 60)), int(rng.integers(10, 80)))
    return _paint(page, (240, 240, 235), (40, 40, 40))


def transparent(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Black strokes on a transparent background, as a drawing app exports them (RGBA)."""
    alpha = np.round(_enlarge(digit, 200) * 255).astype(np.uint8)
    return Image.fromarray(np.dstack([np.zeros((200, 200, 3), np.uint8), alpha]), mode="RGBA")


def chalk(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Light chalk on a dark green board, with some dust (RGB)."""
    ink = _enlarge(digit, 180) * rng.uniform(0.75, 1.0, (180, 180))
    return _paint(ink, (30, 70, 50), (235, 235, 225))


def marker(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """A thick felt-tip: the strokes widened before enlarging (grayscale)."""
    big = Image.fromarray(np.round(_enlarge(digit, 256) * 255).astype(np.uint8))
    return _paint(np.asarray(big.filter(ImageFilter.MaxFilter(9)), np.float32) / 255, (245,), (0,))


def pencil(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Faint grey pencil on off-white paper with grain (grayscale)."""
    page = np.asarray(_paint(_enlarge(digit, 240) * 0.6, (235,), (60,)), np.float32)
    return Image.fromarray(np.round(np.clip(page + rng.normal(0, 8, page.shape), 0, 255)).astype(np.uint8))


STYLES: dict[str, Callable[[np.ndarray, np.random.Generator], Image.Image]] = {
    "paper": paper,
    "blue_pen": blue_pen,
    "off_centre": off_centre,
    "transparent": transparent,
    "chalk": chalk,
    "marker": marker,
    "pencil": pencil,
}


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def main() -> int:
    """Write one picture per digit 0-9 (styles in turn) and `labels.csv` with the truth."""
    _, (x_test, y_test) = load_mnist(quiet=True)
    rng = np.random.default_rng(7)
    names = list(STYLES)
    rows = []
    for digit in range(10):
        index = int(np.flatnonzero(y_test == digit)[0])  # the first test image of each digit
        style = names[digit % len(names)]
        name = f"{digit}_{style}.png"
        data = png_bytes(STYLES[style](x_test[index], rng))
        write_atomically(OUT / name, lambda tmp, data=data: tmp.write_bytes(data))
        rows.append({"file": name, "label": digit, "style": style, "mnist_test_index": index})
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomically(OUT / "labels.csv", lambda tmp: tmp.write_text(table.getvalue()))
    print(f"wrote {len(rows)} pictures and labels.csv to {OUT.relative_to(OUT.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
