"""A drawing pad and an upload button for your own digits, in JupyterLab (ipycanvas and ipywidgets).

The pad keeps the strokes and renders them itself with Pillow: what the network sees does not depend on the
browser, and the pad can be driven without one (tests, nbval).
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from ipycanvas import Canvas, hold_canvas
from IPython.display import display
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from helpers.digits import ImageError, ImageLike, as_array, to_mnist
from helpers.plots import show_pipeline

Predict = Callable[[np.ndarray], np.ndarray]  # a 28×28 uint8 digit -> its 10 probabilities
Caution = Callable[[np.ndarray], str | None]  # a 28×28 uint8 digit -> a warning to show with the reading, or None
Point = tuple[float, float]

SIZE = 280  # pixels of the pad: ten times MNIST's 28
PEN = 24  # pen width: a stroke of about 2 MNIST pixels once the digit is scaled to 20×20
HINT = "Draw a digit in the box (mouse, finger or pen) or upload a picture: what the network reads appears here."


def uploaded_files(value: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]]) -> list[tuple[str, bytes]]:
    """Name and bytes of each file in a FileUpload's value: ipywidgets 8 gives a tuple of files, 7 a dict by name."""
    if isinstance(value, Mapping):  # ipywidgets 7 (Colab): {name: {"metadata": {...}, "content": bytes}}
        return [(name, bytes(entry["content"])) for name, entry in value.items()]
    return [(entry["name"], bytes(entry["content"])) for entry in value]


def render_strokes(strokes: Sequence[Sequence[Point]], width: int = PEN) -> np.ndarray:
    """Strokes (lists of (x, y) points on the SIZE×SIZE pad) as a gray image: black, round-ended lines on white."""
    picture = Image.new("L", (SIZE, SIZE), 255)
    pen = ImageDraw.Draw(picture)
    for stroke in strokes:
        pen.line([tuple(point) for point in stroke], fill=0, width=width, joint="curve")
        for x, y in (stroke[0], stroke[-1]):  # round ends, like the canvas's
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=0)
    return np.asarray(picture)


class DigitPad:
    """Draw a digit (or upload a picture) and see the network's 28×28 input and its probabilities; `caution` may
    return a warning about an input, which the pad says before the reading."""

    def __init__(self, predict: Predict, caution: Caution | None = None) -> None:
        self.predict = predict
        self.caution = caution
        self.strokes: list[list[Point]] = []
        self.drawing = False
        self.canvas = Canvas(width=SIZE, height=SIZE, layout=widgets.Layout(border="2px solid #888"))
        self.canvas.line_width, self.canvas.line_cap, self.canvas.line_join = PEN, "round", "round"
        self.canvas.on_mouse_down(self.start_stroke)
        self.canvas.on_mouse_move(self.extend_stroke)
        self.canvas.on_mouse_up(self.end_stroke)
        self.canvas.on_mouse_out(self.end_stroke)  # the browser reports no release outside the pad
        self.canvas.on_touch_start(self._touch_start)
        self.canvas.on_touch_move(self._touch_move)
        self.canvas.on_touch_end(self._touch_end)
        self.canvas.on_touch_cancel(self._touch_end)
        undo = widgets.Button(description="Undo", icon="undo", tooltip="Remove the last stroke", layout=_label_width())
        undo.on_click(lambda _: self.undo())
        clear = widgets.Button(description="Clear", icon="eraser", tooltip="Start again", layout=_label_width())
        clear.on_click(lambda _: self.clear())
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="Upload", layout=_label_width())
        self.upload.observe(self._uploaded, names="value")
        buttons = widgets.HBox([undo, clear, self.upload], layout=widgets.Layout(flex_flow="row wrap"))
        self.message = widgets.HTML()  # what the pad is doing, in words: wraps like prose, read by screen readers
        self.output = widgets.Output()  # the figure
        self.message.add_class("digit-pad-message"), self.output.add_class("digit-pad-figure")
        left = widgets.VBox([self.canvas, buttons], layout=widgets.Layout(flex="0 0 auto"))  # the pad never shrinks
        right = widgets.VBox([self.message, self.output], layout=widgets.Layout(min_width="420px", flex="1 1 auto"))
        self.widget = widgets.HBox([left, right])
        self.widget.add_class("digit-pad")
        self.say(HINT)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        """The widget in JupyterLab, a sentence in a static copy; built here because ipywidgets 7's (Colab's) widgets
        have no `_repr_mimebundle_`."""
        view = {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
        return {
            "text/plain": "[drawing pad: open this notebook in JupyterLab and run the cell to draw]",
            "application/vnd.jupyter.widget-view+json": view,
        }

    def start_stroke(self, x: float, y: float) -> None:
        self.drawing = True
        self.strokes.append([(x, y)])
        self.canvas.fill_circle(x, y, PEN / 2)

    def extend_stroke(self, x: float, y: float) -> None:
        if self.drawing:
            self.canvas.stroke_line(*self.strokes[-1][-1], x, y)
            self.strokes[-1].append((x, y))

    def end_stroke(self, x: float | None = None, y: float | None = None) -> None:
        """Finish the stroke (at x, y if given; the pen lifted or the pointer out of the pad) and show what the
        network makes of the drawing so far; outside a stroke, nothing."""
        if not self.drawing:
            return
        if x is not None and y is not None:
            self.extend_stroke(x, y)
        self.drawing = False
        self.show(self.image())

    def _touch_start(self, touches: list[Point]) -> None:
        if touches and not self.drawing:  # a second finger does not start another stroke
            self.start_stroke(*touches[0])

    def _touch_move(self, touches: list[Point]) -> None:
        if touches:
            self.extend_stroke(*touches[0])

    def _touch_end(self, touches: list[Point]) -> None:
        if not touches:  # ipycanvas lists the fingers still down: the stroke ends with the last one
            self.end_stroke()

    def undo(self) -> None:
        """Remove the last stroke, redraw the others and show what the network makes of them."""
        self.drawing = False
        if self.strokes:
            self.strokes.pop()
        with hold_canvas():  # the whole redraw reaches the browser as one message
            self.canvas.clear()
            for stroke in self.strokes:
                self.canvas.fill_circle(*stroke[0], PEN / 2)
                self.canvas.stroke_lines(stroke)
        if self.strokes:
            self.show(self.image())
        else:
            self.say(HINT)

    def clear(self) -> None:
        self.drawing = False
        self.strokes.clear()
        self.canvas.clear()
        self.say(HINT)

    def say(self, text: str, figure: Figure | None = None) -> None:
        """Show `text` in the pad's message line, and `figure` (or nothing) below it."""
        self.message.value = html.escape(text)
        with self.output:
            self.output.clear_output(wait=figure is not None)  # waiting, the old figure stays until the new one comes
            if figure is not None:
                display(figure)

    def image(self) -> np.ndarray:
        """The drawing as a SIZE×SIZE gray image, black strokes on white."""
        return render_strokes(self.strokes)

    def read(self, picture: ImageLike) -> tuple[np.ndarray, np.ndarray]:
        """The MNIST-style input made from `picture` and the network's ten probabilities for it."""
        digit = to_mnist(picture)
        return digit, self.predict(digit)

    def figure(self, picture: ImageLike, label: int | None = None) -> Figure:
        """The picture, its MNIST-style input and the predicted probabilities, as one figure."""
        return _pipeline(picture, *self.read(picture), label)

    def show(self, picture: ImageLike) -> None:
        """Show the analysis of `picture` (a sentence, then the figure), or what is wrong with it."""
        try:
            digit, probabilities = self.read(picture)
        except ImageError as error:
            self.say(str(error))
            return
        guess = int(np.argmax(probabilities))
        sentence = (
            f"The network reads a {guess} ({probabilities[guess]:.0%} sure). Below: your picture, "
            "the 28×28 input made from it, and the probabilities of the ten digits."
        )
        warning = self.caution(digit) if self.caution else None
        if warning:
            sentence = f"{warning} {sentence}"
        self.say(sentence, _pipeline(picture, digit, probabilities))

    def _uploaded(self, change: dict) -> None:
        files = uploaded_files(change["new"])
        if not files:  # nothing chosen, or the reset below
            return
        # Forget the file, or choosing the same one again would not change `value`, and nothing would happen.
        self.upload.set_trait("value", {} if isinstance(change["new"], Mapping) else ())
        name, content = files[0]
        try:
            picture = Image.open(io.BytesIO(content))
            picture.load()
        except OSError:
            self.say(f"{name} is not an image Pillow can read; upload a PNG or JPEG")
            return
        self.show(picture)


def _label_width() -> widgets.Layout:
    """A button as wide as its label, which it never shrinks below (the row wraps instead)."""
    return widgets.Layout(width="auto", flex="0 0 auto")


def _pipeline(picture: ImageLike, digit: np.ndarray, probabilities: np.ndarray, label: int | None = None) -> Figure:
    labels = None if label is None else [label]
    return show_pipeline([as_array(picture)], digit[np.newaxis], probabilities[np.newaxis], labels)
