"""A drawing pad and an upload button for your own digits, in JupyterLab (ipycanvas and ipywidgets).

The pad keeps the strokes you draw and renders them itself with Pillow, so what the network sees
does not depend on the browser, and the pad can be driven without one (tests, nbval).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from ipycanvas import Canvas
from IPython.display import display
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

from helpers.digits import ImageError, ImageLike, as_array, to_mnist
from helpers.plots import show_pipeline

Predict = Callable[[np.ndarray], np.ndarray]  # a 28×28 uint8 digit -> its 10 probabilities
Point = tuple[float, float]

SIZE = 280  # pixels of the pad: ten times MNIST's 28
PEN = 24  # pen width: a stroke of about 2 MNIST pixels once the digit is scaled to 20×20


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
    """Draw a digit (or upload a picture) and see the network's 28×28 input and its probabilities."""

    def __init__(self, predict: Predict) -> None:
        self.predict = predict
        self.strokes: list[list[Point]] = []
        self.canvas = Canvas(width=SIZE, height=SIZE, layout=widgets.Layout(border="2px solid #888"))
        self.canvas.line_width, self.canvas.line_cap, self.canvas.line_join = PEN, "round", "round"
        self.canvas.on_mouse_down(self.start_stroke)
        self.canvas.on_mouse_move(self.extend_stroke)
        self.canvas.on_mouse_up(self.end_stroke)
        self.drawing = False
        clear = widgets.Button(description="Clear", icon="eraser")
        clear.on_click(lambda _: self.clear())
        self.upload = widgets.FileUpload(accept="image/*", multiple=False, description="Upload a picture")
        self.upload.observe(self._uploaded, names="value")
        self.output = widgets.Output(layout=widgets.Layout(min_width="420px"))
        self.widget = widgets.HBox([widgets.VBox([self.canvas, widgets.HBox([clear, self.upload])]), self.output])

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        """The widget in JupyterLab; a sentence instead of the widget's repr in a static copy."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = "[drawing pad: open this notebook in JupyterLab and run the cell to draw]"
        return bundle

    def start_stroke(self, x: float, y: float) -> None:
        self.drawing = True
        self.strokes.append([(x, y)])
        self.canvas.fill_circle(x, y, PEN / 2)

    def extend_stroke(self, x: float, y: float) -> None:
        if self.drawing:
            self.canvas.stroke_line(*self.strokes[-1][-1], x, y)
            self.strokes[-1].append((x, y))

    def end_stroke(self, x: float, y: float) -> None:
        """Finish the stroke and show what the network makes of the drawing so far."""
        self.drawing = False
        self.show(self.image())

    def clear(self) -> None:
        self.strokes.clear()
        self.canvas.clear()
        self.output.clear_output()

    def image(self) -> np.ndarray:
        """The drawing as a SIZE×SIZE gray image, black strokes on white."""
        return render_strokes(self.strokes)

    def figure(self, picture: ImageLike, label: int | None = None) -> Figure:
        """The picture, its MNIST-style input and the predicted probabilities, as one figure."""
        digit = to_mnist(picture)
        probabilities = self.predict(digit)
        labels = None if label is None else [label]
        return show_pipeline([as_array(picture)], digit[np.newaxis], probabilities[np.newaxis], labels)

    def show(self, picture: ImageLike) -> None:
        """Replace the pad's output with the analysis of `picture`, or with what is wrong with it."""
        with self.output:
            self.output.clear_output(wait=True)
            try:
                display(self.figure(picture))
            except ImageError as error:
                print(error)

    def _uploaded(self, change: dict) -> None:
        files: Sequence[dict] = change["new"]
        if not files:
            return
        try:
            picture = Image.open(io.BytesIO(bytes(files[0]["content"])))
            picture.load()
        except OSError:
            with self.output:
                self.output.clear_output(wait=True)
                print(f"{files[0]['name']} is not an image Pillow can read; upload a PNG or JPEG")
            return
        self.show(picture)
