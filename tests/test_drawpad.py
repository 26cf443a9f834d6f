"""The drawing pad: strokes become a picture, and a picture becomes a prediction, without a browser."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import ipywidgets as widgets
import numpy as np
import pytest
import traitlets
from PIL import Image

from helpers.drawpad import HINT, PEN, SIZE, DigitPad, uploaded_files


class FakeNetwork:
    """Says 3 with certainty, and remembers what it was shown."""

    def __init__(self) -> None:
        self.seen: list[np.ndarray] = []

    def __call__(self, digit: np.ndarray) -> np.ndarray:
        self.seen.append(digit)
        return np.eye(10)[3]


class FileUpload7(widgets.DOMWidget):
    """ipywidgets 7.7.1's FileUpload (Colab's) as the kernel sees it: the browser sends the files' metadata and
    bytes and increments `_counter`, which sets the read-only `value`, a dict by file name."""

    description = traitlets.Unicode()
    accept = traitlets.Unicode()
    multiple = traitlets.Bool()
    _counter = traitlets.Int()
    metadata = traitlets.List(traitlets.Dict())
    data = traitlets.List(traitlets.Bytes())
    value = traitlets.Dict(read_only=True)

    @traitlets.observe("_counter")
    def _files_arrived(self, change: dict) -> None:
        pairs = zip(self.metadata, self.data, strict=True)
        self.set_trait("value", {meta["name"]: {"metadata": meta, "content": content} for meta, content in pairs})


@pytest.fixture
def pad() -> DigitPad:
    return DigitPad(FakeNetwork())


def event(pad: DigitPad, name: str, **content: object) -> None:
    """What ipycanvas's browser side sends the kernel when the pointer does something on the pad."""
    pad.canvas._handle_frontend_event(pad.canvas, {"event": name, **content}, [])


def touches(*points: tuple[float, float]) -> list[dict[str, float]]:
    return [{"x": x, "y": y} for x, y in points]


def draw(pad: DigitPad, *points: tuple[float, float]) -> None:
    """A stroke with the mouse: press, move, release."""
    event(pad, "mouse_down", x=points[0][0], y=points[0][1])
    for x, y in points[1:]:
        event(pad, "mouse_move", x=x, y=y)
    event(pad, "mouse_up", x=points[-1][0], y=points[-1][1])


def upload(pad: DigitPad, content: bytes, name: str = "digit.png") -> None:
    """What FileUpload sets when a reader picks a file: with ipywidgets 8, a tuple of dicts; with 7, see FileUpload7."""
    if pad.upload.has_trait("_counter"):  # ipywidgets 7
        meta = {"name": name, "type": "image/png", "size": len(content), "lastModified": 1767225600000}
        pad.upload.metadata, pad.upload.data = [meta], [content]
        pad.upload._counter += 1
        return
    when = datetime(2026, 1, 1, tzinfo=UTC)
    pad.upload.value = ({"name": name, "type": "image/png", "size": len(content), "content": memoryview(content),
                         "last_modified": when},)  # fmt: skip


def png(picture: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


def a_one() -> bytes:
    picture = np.full((60, 40), 255, np.uint8)
    picture[10:50, 18:22] = 0
    return png(picture)


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


def test_the_reading_is_said_in_words_above_the_figure(pad: DigitPad) -> None:
    draw(pad, (140, 40), (140, 240))
    assert pad.message.value.startswith("The network reads a 3 (100% sure).")


def test_a_caution_is_said_before_the_reading_only_when_the_input_earns_one() -> None:
    """The caution sees the same MNIST-style input as the network; it speaks only when it returns a warning."""
    seen: list[np.ndarray] = []

    def wide(digit: np.ndarray) -> str | None:
        seen.append(digit)
        rows, cols = np.nonzero(digit)
        return "Caution: wider than tall." if np.ptp(cols) > np.ptp(rows) else None

    pad = DigitPad(FakeNetwork(), caution=wide)
    draw(pad, (140, 40), (140, 240))  # a vertical bar
    assert pad.message.value.startswith("The network reads a 3") and "Caution" not in pad.message.value
    pad.clear()
    draw(pad, (40, 140), (240, 140))  # a horizontal bar
    assert pad.message.value.startswith("Caution: wider than tall. The network reads a 3 (100% sure).")
    assert len(seen) == 2 and all(np.array_equal(a, b) for a, b in zip(seen, pad.predict.seen, strict=True))


def test_moving_without_the_button_draws_nothing(pad: DigitPad) -> None:
    event(pad, "mouse_move", x=10, y=10)
    assert pad.strokes == [] and (pad.image() == 255).all()


def test_leaving_the_pad_ends_the_stroke_there(pad: DigitPad) -> None:
    event(pad, "mouse_down", x=140, y=40)
    event(pad, "mouse_move", x=140, y=200)
    event(pad, "mouse_out", x=140, y=281)  # the button is released outside, where the pad hears nothing
    assert len(pad.predict.seen) == 1 and pad.strokes == [[(140, 40), (140, 200), (140, 281)]]
    event(pad, "mouse_move", x=60, y=100)  # back over the pad, button up: no jump line, no new stroke
    event(pad, "mouse_out", x=-1, y=100)  # and passing over it is not a stroke either
    assert len(pad.predict.seen) == 1 and len(pad.strokes) == 1 and (pad.image()[100, 60:120] == 255).all()


def test_a_finger_draws_like_the_mouse(pad: DigitPad) -> None:
    event(pad, "touch_start", touches=touches((140, 40)))
    event(pad, "touch_move", touches=touches((140, 140)))
    event(pad, "touch_move", touches=touches((140, 240)))
    assert pad.predict.seen == []  # still drawing
    event(pad, "touch_end", touches=[])  # the finger lifted: ipycanvas lists no finger still down
    assert pad.strokes == [[(140, 40), (140, 140), (140, 240)]] and len(pad.predict.seen) == 1
    assert pad.image()[140, 140] == 0


def test_a_second_finger_does_not_start_or_end_the_stroke(pad: DigitPad) -> None:
    event(pad, "touch_start", touches=touches((140, 40)))
    event(pad, "touch_start", touches=touches((140, 40), (30, 30)))
    event(pad, "touch_move", touches=touches((140, 240), (30, 30)))
    event(pad, "touch_end", touches=touches((140, 240)))  # the second finger lifted, the first is down
    assert len(pad.strokes) == 1 and pad.predict.seen == []
    event(pad, "touch_cancel", touches=[])  # the browser took the touch away (e.g. a system gesture)
    assert len(pad.predict.seen) == 1 and not pad.drawing


def test_undo_removes_the_last_stroke_and_shows_the_rest(pad: DigitPad) -> None:
    draw(pad, (140, 40), (140, 240))
    one_stroke = pad.image()
    draw(pad, (60, 140), (220, 140))
    pad.undo()
    assert len(pad.strokes) == 1 and (pad.image() == one_stroke).all()
    assert len(pad.predict.seen) == 3 and (pad.predict.seen[2] == pad.predict.seen[0]).all()
    assert pad.message.value.startswith("The network reads")
    pad.undo()
    assert pad.strokes == [] and (pad.image() == 255).all() and len(pad.predict.seen) == 3
    assert pad.message.value == HINT
    pad.undo()  # nothing left to undo: no error
    assert pad.strokes == []


def test_the_hint_shows_before_the_first_stroke_and_after_clear(pad: DigitPad) -> None:
    assert pad.message.value == HINT
    draw(pad, (100, 100), (150, 150))
    assert pad.message.value != HINT
    pad.clear()
    assert pad.message.value == HINT


def test_clear_forgets_the_drawing(pad: DigitPad) -> None:
    draw(pad, (100, 100), (150, 150))
    pad.clear()
    assert pad.strokes == [] and (pad.image() == 255).all()


def test_figure_shows_picture_input_and_verdict(pad: DigitPad) -> None:
    draw(pad, (140, 40), (140, 240))
    fig = pad.figure(pad.image(), label=1)
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["says 3, 100% ✗ (is 1)"]


def test_uploaded_files_reads_the_value_of_ipywidgets_8_and_7() -> None:
    v8 = ({"name": "a.png", "type": "image/png", "size": 3, "content": memoryview(b"abc"), "last_modified": None},)
    v7 = {"a.png": {"metadata": {"name": "a.png", "type": "image/png", "size": 3}, "content": b"abc"}}
    assert uploaded_files(v8) == uploaded_files(v7) == [("a.png", b"abc")]
    assert uploaded_files(()) == uploaded_files({}) == []


@pytest.fixture(params=["ipywidgets 8", "ipywidgets 7"])
def any_pad(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> DigitPad:
    """A pad with the FileUpload of ipywidgets 8 (installed) or one that behaves like 7.7.1's (Colab's)."""
    if request.param == "ipywidgets 7":
        monkeypatch.setattr(widgets, "FileUpload", FileUpload7)
    return DigitPad(FakeNetwork())


def test_an_uploaded_picture_is_analysed(any_pad: DigitPad) -> None:
    upload(any_pad, a_one())
    assert len(any_pad.predict.seen) == 1


def test_the_same_picture_uploaded_twice_is_analysed_twice(any_pad: DigitPad) -> None:
    upload(any_pad, a_one())
    assert not any_pad.upload.value, "the upload is forgotten once read"
    any_pad.clear()
    upload(any_pad, a_one())
    assert len(any_pad.predict.seen) == 2, "each upload analysed once; forgetting one is not another"


@pytest.mark.parametrize(
    ("content", "said"),
    [(b"not a picture", "x.png is not an image Pillow can read"), (png(np.full((50, 50), 255, np.uint8)), "blank")],
    ids=["garbage", "blank"],
)
def test_a_bad_upload_is_explained_not_raised(any_pad: DigitPad, content: bytes, said: str) -> None:
    upload(any_pad, content, name="x.png")
    assert any_pad.predict.seen == []
    assert said in any_pad.message.value


def test_a_file_name_is_shown_as_text_not_markup(pad: DigitPad) -> None:
    upload(pad, b"not a picture", name="<b>x</b>.png")
    assert pad.message.value.startswith("&lt;b&gt;x&lt;/b&gt;.png is not an image")


def test_in_a_static_copy_the_pad_reads_as_a_sentence(pad: DigitPad) -> None:
    bundle = pad._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == pad.widget.model_id
    assert bundle["text/plain"].startswith("[drawing pad: open this notebook in JupyterLab")
