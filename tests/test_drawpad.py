"""The drawing pad: strokes become a picture, and a picture becomes a prediction, without a browser."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np
import pytest
from PIL import Image

from helpers.drawpad import PEN, SIZE, DigitPad


class FakeNetwork:
    """Says 3 with certainty, and remembers what it was shown."""

    def __init__(self) -> None:
        self.seen: list[np.ndarray] = []

    def __call__(self, digit: np.ndarray) -> np.ndarray:
        self.seen.append(digit)
        return np.eye(10)[3]


@pytest.fixture
def pad() -> DigitPad:
    return DigitPad(FakeNetwork())


def draw(pad: DigitPad, *points: tuple[float, float]) -> None:
    pad.start_stroke(*points[0])
    for point in points[1:]:
        pad.extend_stroke(*point)
    pad.end_stroke(*points[-1])


def upload(pad: DigitPad, content: bytes, name: str = "digit.png") -> None:
    """What FileUpload sets when a reader picks a file."""
    when = datetime(2026, 1, 1, tzinfo=UTC)
    pad.upload.value = ({"name": name, "type": "image/png", "size": len(content), "content": memoryview(content),
                         "last_modified": when},)  # fmt: skip


def png(picture: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_stroke_becomes_black_ink_on_white(pad: DigitPad) -> None:
    draw(pad, (140, 40), (140, 240))  # a vertical bar: a "1"
    picture = pad.image()
    assert picture.shape == (SIZE, SIZE) and picture.dtype == np.uint8
    assert picture[140, 140] == 0 and picture[140, 10] == 255
    assert (picture[140] == 0).sum() == pytest.approx(PEN, abs=2)  # the pen's width


def test_lifting_the_pen_asks_the_network_about_the_mnist_style_input(pad: DigitPad) -> None:
    draw(pad, (140, 40), (140, 240))
    (digit,) = pad.predict.seen
    assert digit.shape == (28, 28) and digit.dtype == np.uint8
    rows, cols = np.nonzero(digit)
    assert np.ptp(rows) + 1 == 20 and abs(cols.mean() - 14) <= 1  # fitted to 20 px, centred


def test_moving_without_the_button_draws_nothing(pad: DigitPad) -> None:
    pad.extend_stroke(10, 10)
    assert pad.strokes == [] and (pad.image() == 255).all()


def test_clear_forgets_the_drawing(pad: DigitPad) -> None:
    draw(pad, (100, 100), (150, 150))
    pad.clear()
    assert pad.strokes == [] and (pad.image() == 255).all()


def test_figure_shows_picture_input_and_verdict(pad: DigitPad) -> None:
    draw(pad, (140, 40), (140, 240))
    fig = pad.figure(pad.image(), label=1)
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["says 3, 100% ✗ (is 1)"]


def test_an_uploaded_picture_is_analysed(pad: DigitPad) -> None:
    picture = np.full((60, 40), 255, np.uint8)
    picture[10:50, 18:22] = 0
    upload(pad, png(picture))
    assert len(pad.predict.seen) == 1


@pytest.mark.parametrize(
    ("content", "said"),
    [(b"not a picture", "x.png is not an image Pillow can read"), (png(np.full((50, 50), 255, np.uint8)), "blank")],
    ids=["garbage", "blank"],
)
def test_a_bad_upload_is_explained_not_raised(pad: DigitPad, content: bytes, said: str, capsys) -> None:
    upload(pad, content, name="x.png")  # outside a kernel, the pad's output area is plain stdout
    assert pad.predict.seen == []
    assert said in capsys.readouterr().out


def test_in_a_static_copy_the_pad_reads_as_a_sentence(pad: DigitPad) -> None:
    bundle = pad._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("[drawing pad: open this notebook in JupyterLab")
