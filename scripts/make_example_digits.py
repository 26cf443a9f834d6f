"""Make notebook 08's example pictures (`make examples`; the same files on every run).

notebooks/examples/: MNIST test digits, so their labels are known, enlarged and restyled (ink on paper, coloured
pen, off-centre, transparent, chalk, marker, pencil). drawn/: digits from no MNIST image, each a few pen strokes
written as a hand would (wobble, slant and size of two writers) and rendered by the drawing pad's renderer.
not_digits/: letters and shapes drawn the same way.
"""

from __future__ import annotations

import io
import itertools
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageFilter

from helpers.data import load_mnist
from helpers.drawpad import SIZE, render_strokes
from helpers.paths import examples_dir
from scripts.course import argument_parser, write_files

OUT = examples_dir()
DRAWN = "drawn"  # the subfolder of OUT for the digits drawn with strokes
NOT_DIGITS = "not_digits"  # the subfolder of OUT for letters and shapes drawn with strokes


def _enlarge(digit: np.ndarray, size: int) -> np.ndarray:
    """A 28×28 digit as a smooth size×size ink map in [0, 1]."""
    return np.asarray(Image.fromarray(digit).resize((size, size), Image.Resampling.BICUBIC), dtype=np.float32) / 255


def _paint(ink: np.ndarray, paper: tuple[int, ...], pen: tuple[int, ...]) -> Image.Image:
    """Mix a pen colour into a paper colour by the amount of ink."""
    ink = np.clip(ink, 0, 1)[..., None]
    pixels = np.asarray(paper, np.float32) * (1 - ink) + np.asarray(pen, np.float32) * ink
    return Image.fromarray(np.round(pixels).astype(np.uint8).squeeze())


def paper(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Black ink on white paper, ten times MNIST's size (grayscale)."""
    return _paint(_enlarge(digit, 280), (250,), (15,))


def blue_pen(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Blue ink on yellow paper (RGB)."""
    return _paint(_enlarge(digit, 224), (255, 240, 190), (25, 45, 150))


def off_centre(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """A small digit in the top-left part of a wide page (RGB)."""
    page, top, left = np.zeros((300, 420), np.float32), int(rng.integers(10, 60)), int(rng.integers(10, 80))
    page[top : top + 112, left : left + 112] = _enlarge(digit, 112)
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
    style.__name__: style for style in (paper, blue_pen, off_centre, transparent, chalk, marker, pencil)
}


Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24) -> Stroke:
    """Points along an ellipse from angle `start` to `end` in degrees (0 = right, 90 = down, as on screen)."""
    angles = np.radians(np.linspace(start, end, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in angles]


def _line(*points: tuple[float, float], n: int = 8) -> Stroke:
    """Points along straight segments through `points`, n per segment, so that wobble bends them."""
    out: Stroke = []
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        out += [(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t) for t in np.linspace(0, 1, n, endpoint=False)]
    return [*out, points[-1]]


# Each digit as the strokes a hand makes on the 280×280 pad, in writing order.
STROKES: dict[int, list[Stroke]] = {
    0: [_arc(140, 140, 62, 95, -100, 265, 40)],
    1: [_line((112, 82), (152, 42), (146, 242))],
    2: [_arc(140, 100, 58, 52, 190, 395) + _line((186, 128), (84, 238), (204, 236))],
    3: [_arc(136, 92, 56, 45, 200, 445) + _arc(136, 184, 64, 54, 270, 510)],
    4: [_line((168, 42), (78, 172), (214, 172)), _line((170, 96), (166, 244))],
    5: [_line((196, 46), (100, 46), (94, 126)) + _arc(134, 176, 64, 58, 235, 512)],
    6: [_line((184, 46), (138, 70), (104, 118), (88, 178)) + _arc(140, 186, 54, 52, 180, 535)],
    7: [_line((78, 52), (204, 52), (124, 244))],
    8: [_arc(140, 94, 48, 44, 90, 450, 30), _arc(140, 186, 58, 52, -90, 270, 30)],
    9: [_arc(138, 96, 54, 46, 0, 365, 30) + _line((192, 96), (176, 244))],
}

# Letters and shapes that are no digit (letters that look like one, such as O, I, S, Z or B, left out).
SHAPES: dict[str, list[Stroke]] = {
    "A": [_line((80, 240), (140, 40), (200, 240)), _line((105, 160), (175, 160))],
    "E": [_line((190, 45), (95, 45), (95, 240), (190, 240)), _line((95, 140), (170, 140))],
    "F": [_line((190, 45), (95, 45), (95, 240)), _line((95, 140), (170, 140))],
    "H": [_line((90, 45), (90, 240)), _line((190, 45), (190, 240)), _line((90, 140), (190, 140))],
    "K": [_line((95, 45), (95, 240)), _line((190, 45), (95, 150), (195, 240))],
    "M": [_line((70, 240), (80, 45), (140, 170), (200, 45), (210, 240))],
    "N": [_line((85, 240), (85, 45), (195, 240), (195, 45))],
    "R": [_line((95, 240), (95, 45)) + _arc(120, 92, 60, 47, -90, 90) + _line((120, 139), (200, 240))],
    "T": [_line((70, 50), (210, 50)), _line((140, 50), (140, 240))],
    "W": [_line((55, 50), (95, 240), (140, 110), (185, 240), (225, 50))],
    "X": [_line((80, 45), (200, 240)), _line((200, 45), (80, 240))],
    "Y": [_line((80, 45), (140, 140), (200, 45)), _line((140, 140), (140, 240))],
    "bar": [_line((50, 140), (230, 140))],
    "plus": [_line((60, 140), (220, 140)), _line((140, 60), (140, 220))],
    "square": [_line((70, 70), (210, 70), (210, 210), (70, 210), (70, 70))],
    "triangle": [_line((140, 50), (230, 220), (50, 220), (140, 50))],
    "star": [_line((140, 40), (200, 230), (45, 110), (235, 110), (80, 230), (140, 40))],
    "wave": [[(x, 140 + 40 * np.sin(x / 20)) for x in np.linspace(40, 240, 40)]],
}

# Two writers: one upright, one slanted, wider pen, and a little smaller.
WRITERS = {"upright": {"slant": 0.0, "scale": 1.0, "width": 22}, "slanted": {"slant": 0.25, "scale": 0.85, "width": 28}}


def drawn(strokes: list[Stroke], writer: str, rng: np.random.Generator) -> Image.Image:
    """Strokes (a digit's or a shape's) drawn by one of the WRITERS, with a wobble of a few pixels (grayscale)."""
    style, centre = WRITERS[writer], SIZE / 2
    written = []
    for stroke in strokes:
        points = np.asarray(stroke) + np.cumsum(rng.normal(0, 0.8, (len(stroke), 2)), axis=0)  # a hand drifts
        x, y = (points[:, 0] - centre) * style["scale"], (points[:, 1] - centre) * style["scale"]
        written.append(list(zip(centre + x - style["slant"] * y, centre + y, strict=True)))
    return Image.fromarray(render_strokes(written, width=style["width"]))


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def main(args: list[str]) -> int:
    """Write one picture per digit 0-9 (styles in turn), the drawn digits and shapes, and each folder's labels.csv."""
    argument_parser(__spec__.name, __doc__).parse_args(args)
    _, (x_test, y_test) = load_mnist(quiet=True)
    rng = np.random.default_rng(7)
    files: dict[Path, str | bytes] = {}
    tables: dict[Path, list[dict]] = {OUT: [], OUT / DRAWN: [], OUT / NOT_DIGITS: []}
    for digit, style in zip(range(10), itertools.cycle(STYLES), strict=False):
        index = int(np.flatnonzero(y_test == digit)[0])  # the first test image of each digit
        files[OUT / f"{digit}_{style}.png"] = png_bytes(STYLES[style](x_test[index], rng))
        tables[OUT].append({"file": f"{digit}_{style}.png", "label": digit, "style": style, "mnist_test_index": index})
    for folder, key, drawings in ((DRAWN, "label", STROKES), (NOT_DIGITS, "shape", SHAPES)):
        for writer, (name, strokes) in itertools.product(WRITERS, drawings.items()):
            files[OUT / folder / f"{name}_{writer}.png"] = png_bytes(drawn(strokes, writer, rng))
            tables[OUT / folder].append({"file": f"{name}_{writer}.png", key: name, "writer": writer})
    tables_csv = {
        folder / "labels.csv": pd.DataFrame(rows).to_csv(index=False, lineterminator="\n")
        for folder, rows in tables.items()
    }
    write_files(files | tables_csv)
    shown = OUT.relative_to(OUT.parents[1])
    pictures, digits, shapes = (len(rows) for rows in tables.values())
    print(f"wrote {pictures} pictures to {shown}, {digits} drawn digits to {shown / DRAWN}", end=" ")
    print(f"and {shapes} letters and shapes to {shown / NOT_DIGITS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
