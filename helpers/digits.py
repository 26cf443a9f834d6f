"""Any picture of one digit as an MNIST-style 28×28 input, made the way MNIST itself was made.

MNIST's digits were scaled to fit a 20×20 box (aspect ratio kept, anti-aliased) and centred on their centre of
mass in a 28×28 field, light ink on black: a network trained on MNIST expects a photo or drawing brought there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from helpers.paths import display_path

BOX = 20  # MNIST's digits fit a 20×20 box ...
FIELD = 28  # ... placed in a 28×28 field
INK = 0.2  # a pixel is ink when it is at least this far from the background (0-1 scale)
MIN_CONTRAST = 0.15  # below this, the image has no ink to speak of

ImageLike = str | Path | Image.Image | np.ndarray


class ImageError(ValueError):
    """The input is not a picture of a digit the course can use; the message says what to do."""


def _from_path(path: Path) -> Image.Image:
    if not path.is_file():
        raise ImageError(f"no image file at {display_path(path)}: check the name, or pass the image itself")
    try:
        with Image.open(path) as opened:
            opened.load()
            return opened.copy()
    except (UnidentifiedImageError, OSError) as error:  # the error's own text repeats the full path
        raise ImageError(f"{path.name} is not an image Pillow can read; save it as PNG or JPEG") from error


def full_scale(image: np.ndarray) -> int:
    """The value of full ink (or white) in `image`: 255 for bytes or values above 1, else 1 (values in [0, 1])."""
    return 255 if image.dtype == np.uint8 or image.max() > 1 else 1


def border(image: np.ndarray) -> np.ndarray:
    """The pixels of the ring around the image's edge, where the background shows."""
    return np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])


def _from_array(array: np.ndarray) -> np.ndarray:
    """An array as floats in [0, 1], shaped (height, width) or (height, width, 3 or 4)."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ImageError(f"an image array must be shaped (height, width) or (height, width, 3 or 4), not {array.shape}")
    if min(array.shape[:2]) < 2:
        raise ImageError(f"an image of {array.shape[0]}×{array.shape[1]} pixels is too small to hold a digit")
    if array.dtype != bool and not np.issubdtype(array.dtype, np.number):
        raise ImageError(f"pixel values must be numbers, not {array.dtype}")
    values = array.astype(np.float32)
    if not np.isfinite(values).all() or values.min() < 0 or values.max() > 255:
        raise ImageError("pixel values must be finite, 0-255 (uint8) or 0-1 (floats)")
    return values / full_scale(array)


def _flatten_alpha(rgba: np.ndarray) -> np.ndarray:
    """RGBA over a background that contrasts with the opaque strokes (black ink on a clear canvas stays visible)."""
    rgb, alpha = rgba[..., :3], rgba[..., 3:]
    if alpha.min() > 0.99:
        return rgb
    strokes = rgb[alpha[..., 0] > 0.5]
    background = 0.0 if strokes.size and strokes.mean() > 0.5 else 1.0
    return rgb * alpha + background * (1 - alpha)


def as_array(image: ImageLike) -> np.ndarray:
    """The picture as an array to display: an array as it is, a path or PIL image loaded and turned upright as its
    EXIF tag says (a phone stores a portrait photo's pixels sideways)."""
    if isinstance(image, str | Path):
        image = _from_path(Path(image))
    if isinstance(image, Image.Image):
        image = ImageOps.exif_transpose(image)
        if "A" in image.getbands() or "transparency" in image.info:
            return np.asarray(image.convert("RGBA"))
        return np.asarray(image.convert("L" if image.mode in ("1", "L", "I", "I;16", "F") else "RGB"))
    if not isinstance(image, np.ndarray):
        raise ImageError(f"expected a file path, a PIL image or a NumPy array, not {type(image).__name__}")
    return image


def grayscale(image: ImageLike) -> np.ndarray:
    """A path, PIL image or array (gray, RGB or RGBA, any size) as gray levels in [0, 1], 0 = black."""
    pixels = _from_array(as_array(image))
    if pixels.ndim == 3:
        rgb = _flatten_alpha(pixels) if pixels.shape[2] == 4 else pixels
        pixels = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # luminance, as PIL's "L" mode
    return pixels


def ink(gray: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds, 0-1, on dark-on-light (inverted) or light-on-dark pictures: the background,
    the border's colour with its grain and noise, becomes 0 and the strongest ink 1."""
    strokes = 1 - gray if np.median(border(gray)) > 0.5 else gray
    edge = border(strokes)
    spread = 1.4826 * float(np.median(np.abs(edge - np.median(edge))))  # robust to ink that reaches the edge
    floor = float(np.median(edge)) + 6 * spread  # the background's level, paper grain and noise included
    contrast = float(strokes.max()) - floor
    if contrast < MIN_CONTRAST:
        raise ImageError("the image is blank: no ink stands out from the background; draw or load a digit")
    return np.clip((strokes - floor) / contrast, 0, 1)


def fit_box(strokes: np.ndarray) -> np.ndarray:
    """Crop to the ink and scale it so its longer side is BOX pixels, keeping the aspect ratio."""
    rows, cols = np.nonzero(strokes >= INK)
    cropped = strokes[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    height, width = cropped.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(cropped.astype(np.float32), mode="F").resize(size, Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized), 0, 1)


def centre_in_field(box: np.ndarray) -> np.ndarray:
    """The box placed in a 28×28 field so that its centre of mass falls on the field's centre."""
    rows, cols = np.indices(box.shape)
    total = box.sum()
    if total == 0:
        raise ImageError("the image is blank after scaling: the ink is too faint or too thin; use a thicker pen")
    mass = ((rows * box).sum() / total, (cols * box).sum() / total)
    top, left = (int(np.clip(round(FIELD // 2 - m), 0, FIELD - n)) for m, n in zip(mass, box.shape, strict=True))
    field = np.zeros((FIELD, FIELD), dtype=np.float32)
    field[top : top + box.shape[0], left : left + box.shape[1]] = box
    return field


def to_mnist(image: ImageLike) -> np.ndarray:
    """An MNIST-style digit (28×28 uint8, light ink on black) from any picture of one digit: `grayscale`, `ink`,
    `fit_box`, `centre_in_field`. Raises ImageError, saying what to do, for an unusable picture."""
    field = centre_in_field(fit_box(ink(grayscale(image))))
    return np.round(field * 255).astype(np.uint8)
