"""MNIST-style preprocessing: any picture of a digit becomes what the network was trained on."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers.data import Splits
from helpers.digits import ImageError, grayscale, to_mnist
from helpers.inputs import one_hot, to_dense_inputs
from scripts import make_example_digits as examples

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "notebooks" / "examples"


@pytest.fixture(scope="module")
def dense_model(mnist: Splits):
    """The course's dense network after two epochs: good enough to tell digits apart (~97 %)."""
    import keras

    from helpers.models import reference_network
    from helpers.training import fit_fast

    (x_train, y_train), _ = mnist
    keras.utils.set_random_seed(0)
    model = reference_network()
    fit_fast(model, to_dense_inputs(x_train), one_hot(y_train), epochs=2, batch_size=128)
    return model


def test_an_mnist_digit_comes_back_almost_unchanged(mnist: Splits) -> None:
    _, (x_test, _) = mnist
    out = np.stack([to_mnist(d) for d in x_test[:300]])
    assert out.shape == (300, 28, 28) and out.dtype == np.uint8
    assert np.abs(out.astype(int) - x_test[:300]).mean() < 1.0  # gray levels out of 255


def test_the_result_is_fitted_in_20x20_and_centred_on_its_mass(mnist: Splits) -> None:
    picture = examples.off_centre(mnist[1][0][0], np.random.default_rng(0))
    out = to_mnist(picture).astype(float)
    rows, cols = np.nonzero(out)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 == 20
    centre = [(np.indices(out.shape)[axis] * out).sum() / out.sum() for axis in (0, 1)]
    assert centre == [pytest.approx(14, abs=0.5), pytest.approx(14, abs=0.5)]


def test_restyled_test_digits_are_recognised_about_as_well_as_the_originals(mnist: Splits, dense_model) -> None:
    _, (x_test, y_test) = mnist
    n = 700  # 100 per style
    rng = np.random.default_rng(1)
    styles = list(examples.STYLES.values())
    restyled = np.stack([to_mnist(styles[i % len(styles)](x_test[i], rng)) for i in range(n)])

    def accuracy(images: np.ndarray) -> float:
        return float((dense_model.predict(to_dense_inputs(images), verbose=0).argmax(1) == y_test[:n]).mean())

    original, recovered = accuracy(x_test[:n]), accuracy(restyled)
    assert original > 0.95
    assert recovered >= original - 0.015, f"restyled {recovered:.3f} vs original {original:.3f}"


def test_the_shipped_examples_are_the_ones_the_script_makes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(examples, "OUT", tmp_path)
    examples.main([])
    shipped = sorted(str(p.relative_to(EXAMPLES)) for p in EXAMPLES.rglob("*") if p.is_file())
    assert shipped == sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert len([name for name in shipped if name.startswith("drawn/") and name.endswith(".png")]) == 20
    assert len([name for name in shipped if name.startswith("not_digits/") and name.endswith(".png")]) == 36
    for name in shipped:
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), f"run `make examples` ({name})"


def test_drawn_digits_and_shapes_are_pen_strokes_not_enlarged_mnist_digits() -> None:
    """Rendered strokes are pure black on white; an enlarged MNIST digit has its gray, anti-aliased edges."""
    for writer in examples.WRITERS:
        for strokes in [*examples.STROKES.values(), *examples.SHAPES.values()]:
            picture = np.asarray(examples.drawn(strokes, writer, np.random.default_rng(0)))
            assert set(np.unique(picture)) == {0, 255}
            assert 0.02 < (picture == 0).mean() < 0.3, "strokes, neither a dot nor a blot"


@pytest.mark.parametrize(
    "convert",
    [
        lambda im: im,
        lambda im: im.convert("L"),
        lambda im: im.quantize(colors=64),
        lambda im: im.convert("LA"),
        lambda im: np.asarray(im.convert("L")),
        lambda im: np.asarray(im.convert("L"))[..., None],
        lambda im: np.asarray(im.convert("L")).astype(np.float64) / 255,
        lambda im: np.asarray(im.convert("RGB")),
        lambda im: np.asarray(im.convert("RGBA")),
    ],
    ids=["pil-rgb", "pil-gray", "pil-palette", "pil-gray-alpha", "array-gray", "array-hw1", "array-float", "array-rgb",
         "array-rgba"],
)  # fmt: skip
def test_every_kind_of_image_gives_the_same_digit(mnist: Splits, convert) -> None:
    picture = examples.blue_pen(mnist[1][0][0], np.random.default_rng(0))
    expected = to_mnist(picture)
    assert np.abs(to_mnist(convert(picture)).astype(int) - expected).mean() < 2


def test_a_path_or_its_string(tmp_path: Path, mnist: Splits) -> None:
    path = tmp_path / "seven.png"
    examples.paper(mnist[1][0][0], np.random.default_rng(0)).save(path)
    assert np.array_equal(to_mnist(path), to_mnist(str(path)))


def test_light_ink_on_dark_is_not_inverted_and_dark_on_light_is(mnist: Splits) -> None:
    digit = mnist[1][0][0]
    assert np.abs(to_mnist(255 - digit).astype(int) - to_mnist(digit)).max() <= 1


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.full((50, 50), 255, np.uint8), "blank"),
        (np.zeros((50, 50), np.uint8), "blank"),
        (np.full((40, 60, 3), (200, 30, 30), np.uint8), "blank"),
        (np.dstack([np.zeros((30, 30, 3), np.uint8), np.zeros((30, 30), np.uint8)]), "blank"),
        (np.zeros((28, 28, 2), np.uint8), r"must be shaped \(height, width\) or"),
        (np.zeros(784, np.uint8), "must be shaped"),
        (np.zeros((2, 28, 28), np.float32), "must be shaped"),
        (np.zeros((1, 28), np.uint8), "too small"),
        (np.full((28, 28), np.nan), "finite"),
        (np.full((28, 28), -1.0), "0-255"),
        (np.full((28, 28), "7"), "must be numbers"),
        ([[0, 255], [255, 0]], "not list"),
    ],
    ids=["white", "black", "one-colour", "fully-transparent", "two-channels", "flat-784", "a-batch", "1-pixel-high",
         "nan", "negative", "strings", "a-list"],
)  # fmt: skip
def test_bad_input_says_what_is_wrong(image, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        to_mnist(image)


def test_a_file_that_is_not_an_image(tmp_path: Path) -> None:
    fake = tmp_path / "digit.png"
    fake.write_text("this is not a picture")
    with pytest.raises(ImageError, match=r"digit\.png is not an image Pillow can read"):
        to_mnist(fake)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no image file at"):
        to_mnist(tmp_path / "nothing.png")


def test_a_truncated_png(tmp_path: Path, mnist: Splits) -> None:
    path = tmp_path / "cut.png"
    data = examples.png_bytes(examples.paper(mnist[1][0][0], np.random.default_rng(0)))
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=r"cut\.png is not an image"):
        to_mnist(path)


def test_grayscale_uses_luminance() -> None:
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[..., 1] = 255  # pure green is fairly light
    assert grayscale(rgb) == pytest.approx(np.full((4, 4), 0.587), abs=1e-3)
    assert grayscale(Image.fromarray(rgb)) == pytest.approx(np.full((4, 4), 0.587), abs=1e-3)


def sideways_photo(digit: np.ndarray) -> tuple[Image.Image, Image.Image]:
    """A digit as a phone stores a portrait photo: the upright picture, and its pixels turned a quarter
    counter-clockwise with EXIF orientation 6 ("turn 90° clockwise to show it")."""
    upright = Image.fromarray(255 - digit).resize((84, 112))  # dark ink on light paper, taller than wide
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    exif = stored.getexif()
    exif[0x0112] = 6  # Orientation
    stored.info["exif"] = exif.tobytes()
    return upright, stored


@pytest.mark.parametrize("given", ["png-path", "jpeg-path", "pil-image", "uploaded-bytes"])
def test_a_photo_is_turned_upright_by_its_exif_orientation(given: str, tmp_path: Path, mnist: Splits) -> None:
    """The drawing pad's upload is `Image.open` of the bytes, the `uploaded-bytes` case."""
    upright, stored = sideways_photo(mnist[1][0][0])
    fmt = "JPEG" if given == "jpeg-path" else "PNG"
    path = tmp_path / f"photo.{fmt.lower()}"
    stored.save(path, fmt, exif=stored.info["exif"], quality=95)
    assert Image.open(path).getexif()[0x0112] == 6 and Image.open(path).size == (112, 84)  # stored sideways
    picture = {
        "png-path": path,
        "jpeg-path": str(path),
        "pil-image": Image.open(path),
        "uploaded-bytes": Image.open(io.BytesIO(path.read_bytes())),
    }[given]
    out, expected = to_mnist(picture).astype(int), to_mnist(upright).astype(int)
    sideways = to_mnist(np.asarray(Image.open(path))).astype(int)  # an array has no EXIF: used as stored
    assert np.abs(out - expected).mean() < 3  # gray levels out of 255; JPEG adds a little noise
    assert np.abs(sideways - expected).mean() > 20  # the pixels as stored are far from it: the turn matters
