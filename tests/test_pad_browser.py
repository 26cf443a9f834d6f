"""Notebook 08's drawing pad as a learner uses it: JupyterLab in headless Chromium, real mouse and touch events.

JupyterLab runs on the loopback with a token and a scratch configuration, on a copy of the notebook, so that
nothing in the checkout changes; the test checks what the page shows (the pad's sentence and figure), never the
kernel's variables, and that no JupyterLab or kernel process is left. Each step's duration and a screenshot of the
pad go to $TMPDIR/pad-shots/ (`steps.md` lists them). `make test-pad` runs it, apart from `make test`
because it takes minutes (JupyterLab, the kernel's TensorFlow, a whole notebook run).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from helpers.drawpad import HINT, SIZE
from helpers.paths import models_dir
from tests.browser import CHROMEDRIVER, CHROMIUM, headless_chromium, skip_or_fail

pytestmark = pytest.mark.skipif(
    os.environ.get("MNIST_COURSE_PAD_TEST") != "1", reason="takes minutes: `make test-pad` runs it (CI does)"
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "08_your_own_digits.ipynb"
EXAMPLES = ROOT / "notebooks" / "examples"
SHOTS = Path(tempfile.gettempdir()) / "pad-shots"
KERNEL_TIMEOUT = 300  # s: the course kernel imports TensorFlow before it answers (slow on a busy machine)
RUN_ALL_TIMEOUT = 600  # s: notebook 08 trains its own network when no trained one is there
SETTINGS = {  # JupyterLab user settings: every cell in the page, and no news or update pop-up over it
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
# FileUpload's <input type=file> is never in the page: when the button clicks it, put it there so that
# the driver can choose a file with it, as a reader does in the file chooser (which the driver intercepts).
EXPOSE_FILE_INPUT = """
if (!window.padTestHook) {
  window.padTestHook = true;
  const click = HTMLInputElement.prototype.click;
  HTMLInputElement.prototype.click = function () {
    if (this.type === "file" && !this.isConnected) { this.dataset.padTest = "upload"; document.body.append(this); }
    return click.call(this);
  };
}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def processes_mentioning(text: str) -> list[int]:
    """The ids of running processes whose command line contains `text` (here: the scratch folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                found.append(int(entry.name))
        except OSError:  # the process ended meanwhile
            continue
    return found


def checkout_state() -> str:
    """What git sees changed in the checkout (empty outside a git checkout)."""
    run = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False)
    return run.stdout if run.returncode == 0 else ""


@dataclass
class Lab:
    url: str
    token: str
    folder: Path  # the scratch folder: notebook copy, settings, runtime files, browser profile


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """JupyterLab from this venv on 127.0.0.1, on a copy of notebook 08, shut down with its kernels afterwards."""
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        skip_or_fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed: `make browser` installs them (apt-get, as root)")
    before = checkout_state()
    folder = Path(tempfile.mkdtemp(prefix="pad-lab-"))
    work, models = folder / "work", folder / "models"
    work.mkdir()
    models.mkdir()
    shutil.copy2(NOTEBOOK, work)
    shutil.copytree(EXAMPLES, work / "examples")
    trained = models_dir() / "dense_mnist.keras"  # saved by notebook 03 (`make test` runs it); else 08 trains one
    if trained.is_file():
        shutil.copy2(trained, models)
    cnn = models_dir() / "cnn_mnist.keras"  # saved by notebook 07: 08's caution reads the CNN's features
    if not cnn.is_file():
        skip_or_fail(f"notebook 08 needs {cnn.name}, which notebook 07 saves: run it (`make run`) first")
    shutil.copy2(cnn, models)
    for name, values in SETTINGS.items():
        path = folder / "config" / "lab" / "user-settings" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = dict(os.environ, MNIST_COURSE_MODELS=str(models), JUPYTER_CONFIG_DIR=str(folder / "config"))
    env["JUPYTER_RUNTIME_DIR"] = str(folder / "runtime")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))  # this checkout's helpers
    port, token = free_port(), secrets.token_hex(16)
    command = [
        str(Path(sys.executable).with_name("jupyter")),
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}",
        f"--LabApp.workspaces_dir={folder / 'workspaces'}",
        f"--LabApp.user_settings_dir={folder / 'config' / 'lab' / 'user-settings'}",
        "--ServerApp.allow_root=True",
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.terminals_enabled=False",
    ]  # allow_root: CI runs as root; the last four: nothing asks the network, no terminal
    log = (folder / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: {(folder / 'jupyterlab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield Lab(url, token, folder)
    finally:
        shut_down(server, url, token)
        log.close()
        if SHOTS.is_dir():
            shutil.copy2(folder / "jupyterlab.log", SHOTS)
        deadline = time.monotonic() + 15  # kernels and browser processes may take a moment to exit
        while (left := processes_mentioning(str(folder))) and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid in left:  # only processes started for this test: their command line names its scratch folder
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
        assert not left, f"processes left running after JupyterLab shut down: {left}"
        assert checkout_state() == before, "the browser test changed files in the checkout"


def shut_down(server: subprocess.Popen, url: str, token: str) -> None:
    """Ask JupyterLab to shut down (it stops its kernels); if it does not, stop its process group."""
    request = urllib.request.Request(f"{url}/api/shutdown", method="POST", headers={"Authorization": f"token {token}"})
    try:
        urllib.request.urlopen(request, timeout=10).close()
        server.wait(timeout=60)
        return
    except (OSError, subprocess.TimeoutExpired):
        pass
    for sig, seconds in ((signal.SIGTERM, 20), (signal.SIGKILL, None)):
        if server.poll() is not None:
            return
        os.killpg(server.pid, sig)
        try:
            server.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def browser(lab: Lab) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile, driven through Debian's chromedriver; nothing is downloaded."""
    with headless_chromium(
        "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1400,1000", f"--user-data-dir={lab.folder / 'chromium'}",
    ) as driver:  # fmt: skip
        yield driver


@dataclass
class Steps:
    """Each step of the test: how long it took, what the pad showed after it, and a screenshot of the pad."""

    driver: WebDriver
    pad: Pad | None = None  # once it is on the page: how long its figure took to come after the action
    rows: list[tuple[str, float, str, str]] = field(default_factory=list)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start, failed = time.perf_counter(), True
        try:
            yield
            failed = False
        finally:
            self.record(name + " (FAILED)" * failed, time.perf_counter() - start)

    def record(self, name: str, seconds: float) -> None:
        number = len(self.rows) + 1
        shown = ""
        pads = self.driver.find_elements(By.CSS_SELECTOR, ".digit-pad")
        stem = f"{number:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}"
        self.driver.save_screenshot(str(SHOTS / f"{stem}-page.png"))
        if pads:
            shown = " ".join(pads[0].find_element(By.CSS_SELECTOR, ".digit-pad-message").text.split())
            if pads[0].find_elements(By.CSS_SELECTOR, ".digit-pad-figure img"):
                shown += " [figure]"
            pads[0].screenshot(str(SHOTS / f"{stem}-pad.png"))
        waited = self.pad.waited if self.pad else None
        if self.pad:
            self.pad.waited = None
        self.rows.append((name, seconds, "" if waited is None else f"{waited:.2f}", shown))

    def write(self) -> str:
        lines = ["| step | seconds | figure after (s) | the pad shows afterwards |", "|---|---|---|---|"]
        lines += [f"| {name} | {seconds:.1f} | {waited} | {shown} |" for name, seconds, waited, shown in self.rows]
        table = "\n".join(lines) + "\n"
        (SHOTS / "steps.md").write_text(table)
        return table


@pytest.fixture
def steps(browser: WebDriver) -> Iterator[Steps]:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    record = Steps(browser)
    try:
        yield record
    finally:
        print("\n" + record.write())


def wait(driver: WebDriver, what: str, condition: Callable[[WebDriver], object], timeout: float = 60) -> object:
    """Wait until `condition` holds; a JupyterLab error output on the page fails at once, with its text."""

    def check(d: WebDriver) -> object:
        errors = d.find_elements(By.CSS_SELECTOR, '[data-mime-type="application/vnd.jupyter.error"]')
        if errors:
            pytest.fail(f"a cell failed while waiting for {what}: {errors[0].text[-1500:]}")
        return condition(d)

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(check, f"timed out waiting for {what}")


def kernel_idle(driver: WebDriver) -> bool:
    """The status bar says the kernel is idle: started, connected, and running nothing."""
    return "| Idle" in driver.find_element(By.ID, "jp-main-statusbar").text


def running(driver: WebDriver) -> bool:
    """Some cell is running or waiting to run: its prompt shows [*]."""
    return any("*" in p.text for p in driver.find_elements(By.CSS_SELECTOR, ".jp-InputArea-prompt"))


class Pad:
    """The drawing pad on the page, used as a reader does: mouse, finger, buttons and the file chooser."""

    def __init__(self, driver: WebDriver) -> None:
        self.driver = driver
        self.root = driver.find_element(By.CSS_SELECTOR, ".digit-pad")
        self.canvas = self.root.find_element(By.TAG_NAME, "canvas")
        self.waited: float | None = None  # seconds the last wait_for_figure took
        self.message = self.root.find_element(By.CSS_SELECTOR, ".digit-pad-message")
        self.output = self.root.find_element(By.CSS_SELECTOR, ".digit-pad-figure")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", self.root)

    def text(self) -> str:
        """The pad's message line."""
        return " ".join(self.message.text.split())

    def figure(self) -> str | None:
        """The src of the figure in the pad's output (a data: URL of its PNG), or None."""
        script = "const image = arguments[0].querySelector('img'); return image ? image.src : null"
        return self.driver.execute_script(script, self.output)  # one call: the figure may be replaced meanwhile

    def wait_for_figure(self, reading: str | None = None, unlike: str | None = None) -> str:
        """Wait for a figure different from `unlike`, with a sentence containing `reading`; return its src."""

        def ready(_: WebDriver) -> str | None:
            src = self.figure()
            fresh = src is not None and src != unlike and (reading is None or reading in self.text())
            return src if fresh else None

        start = time.perf_counter()
        src = wait(self.driver, f"a figure saying {reading!r}", ready, timeout=30)
        self.waited = time.perf_counter() - start
        return src

    def ink(self, x: float, y: float) -> int:
        """The opacity of the pad's pixel at (x, y) as the browser drew it: 0 where nothing was drawn."""
        script = "return arguments[0].getContext('2d').getImageData(arguments[1], arguments[2], 1, 1).data[3]"
        return self.driver.execute_script(script, self.canvas, round(x), round(y))

    def inked_pixels(self) -> int:
        script = """const c = arguments[0], d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n;"""
        return self.driver.execute_script(script, self.canvas)

    def offset(self, x: float, y: float) -> tuple[int, int]:
        """A pad pixel as an offset from the canvas element's centre, where Selenium's pointer moves are measured."""
        scale = self.canvas.rect["width"] / SIZE  # the element's border makes it a little larger than the pad
        return round((x - SIZE / 2) * scale), round((y - SIZE / 2) * scale)

    def mouse_stroke(self, points: list[tuple[float, float]], release: bool = True) -> ActionChains:
        chain = ActionChains(self.driver, duration=10)
        chain.move_to_element_with_offset(self.canvas, *self.offset(*points[0])).click_and_hold()
        for point in points[1:]:
            chain.move_to_element_with_offset(self.canvas, *self.offset(*point))
        if release:
            chain.release()
        return chain

    def touch_stroke(self, points: list[tuple[float, float]]) -> None:
        """One finger on the screen, along `points`, then lifted: Chrome's own touch events (DevTools Input)."""
        box = self.driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", self.canvas)
        scale = box["width"] / SIZE
        at = [{"x": box["x"] + x * scale, "y": box["y"] + y * scale} for x, y in points]
        self.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at[0]]})
        for point in at[1:]:
            self.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        self.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

    def button(self, label: str) -> WebElement:
        return self.root.find_element(By.XPATH, f".//button[contains(normalize-space(.), '{label}')]")

    def click(self, label: str) -> None:
        ActionChains(self.driver).click(self.button(label)).perform()

    def clear(self) -> None:
        """Click Clear and wait for the hint, with no figure."""
        self.click("Clear")
        wait(self.driver, "the hint", lambda _: self.text() == HINT and self.figure() is None)

    def upload(self, path: Path) -> None:
        """Click the upload button and choose `path` in the file chooser."""
        self.driver.execute_script(EXPOSE_FILE_INPUT)
        self.click("Upload")
        chooser = wait(self.driver, "the file chooser", lambda d: d.find_elements(By.CSS_SELECTOR, "[data-pad-test]"))
        chooser[0].send_keys(str(path))


def line(start: tuple[float, float], end: tuple[float, float], n: int = 8) -> list[tuple[float, float]]:
    return [(start[0] + (end[0] - start[0]) * i / n, start[1] + (end[1] - start[1]) * i / n) for i in range(n + 1)]


SEVEN = line((70, 60), (210, 60)) + line((210, 60), (120, 240))[1:]
ONE = line((150, 40), (140, 240))
BAR = line((60, 150), (240, 150))


def test_a_reader_draws_with_mouse_and_finger_undoes_clears_and_uploads(
    lab: Lab, browser: WebDriver, steps: Steps
) -> None:
    browser.execute_cdp_cmd("Page.setInterceptFileChooserDialog", {"enabled": True})
    with steps("open notebook 08 in JupyterLab, until its kernel is idle"):
        browser.get(f"{lab.url}/lab/tree/{NOTEBOOK.name}?token={lab.token}")
        wait(browser, "the notebook", lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"))
        wait(browser, "an idle kernel", kernel_idle, KERNEL_TIMEOUT)

    with steps("Run > Run All Cells, until every cell has run"):
        browser.find_element(By.XPATH, "//li[contains(@class, 'lm-MenuBar-item')][normalize-space(.)='Run']").click()
        browser.find_element(By.CSS_SELECTOR, "li[data-command='runmenu:run-all']").click()
        wait(browser, "the pad", lambda d: d.find_elements(By.CSS_SELECTOR, ".digit-pad"), RUN_ALL_TIMEOUT)
        wait(browser, "the last cell", lambda d: kernel_idle(d) and not running(d), RUN_ALL_TIMEOUT)
    pad = steps.pad = Pad(browser)
    assert pad.text() == HINT and pad.figure() is None, "before the first stroke, the hint and no figure"
    label = pad.button("Upload")
    assert browser.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", label), (
        f"the upload button's label is cut off: {label.text!r}"
    )

    with steps("draw a 7 with the mouse"):
        pad.mouse_stroke(SEVEN).perform()
        seven = pad.wait_for_figure("The network reads a 7")
    assert pad.ink(140, 60) > 0 and pad.ink(40, 200) == 0
    assert "Caution" not in pad.text(), "a plain 7 is no reason for a caution"

    with steps("Clear"):
        pad.clear()
    assert pad.inked_pixels() == 0

    with steps("draw a 1 with a finger (touch events)"):
        pad.touch_stroke(ONE)
        one = pad.wait_for_figure("The network reads a 1", unlike=seven)
    assert pad.ink(145, 140) > 0

    with steps("add a bar across with the mouse"):
        pad.mouse_stroke(BAR).perform()
        pad.wait_for_figure(unlike=one)
    assert pad.ink(80, 150) > 0

    with steps("Undo"):
        pad.click("Undo")
        wait(browser, "the figure of the 1 again", lambda _: pad.figure() == one)
    assert "The network reads a 1" in pad.text() and pad.ink(80, 150) == 0 and pad.ink(145, 140) > 0
    assert "Caution" not in pad.text()

    with steps("Clear, then the bar alone, which is no digit: a caution before the reading"):
        pad.clear()
        pad.mouse_stroke(BAR).perform()
        pad.wait_for_figure("Caution")
    assert pad.text().startswith("Caution") and "The network reads a" in pad.text()

    with steps("Clear, then a 1 drawn down and out of the pad, released outside it"):
        pad.clear()
        leave = pad.mouse_stroke(ONE, release=False)  # out through the bottom edge, then right, below the buttons
        for point in [(140, 320), (SIZE + 150, 320)]:
            leave.move_to_element_with_offset(pad.canvas, *pad.offset(*point))
        leave.perform()
        ActionChains(browser).release().perform()
        outside = pad.wait_for_figure("The network reads a 1")
    with steps("move back across the pad with the button up"):
        back = ActionChains(browser, duration=10)
        for point in line((40, 120), (240, 120)):
            back.move_to_element_with_offset(pad.canvas, *pad.offset(*point))
        back.perform()
        time.sleep(1)
        assert pad.figure() == outside, "moving with the button up changed the figure"
    with steps("a dot in the corner (the kernel has handled every move before it)"):
        pad.mouse_stroke([(250, 30)]).perform()
        pad.wait_for_figure(unlike=outside)
    assert pad.ink(60, 120) == 0 and pad.ink(230, 120) == 0, "moving with the button up drew on the pad"
    assert pad.ink(250, 30) > 0 and pad.ink(140, 278) > 0

    example = lab.folder / "work" / "examples" / "7_paper.png"
    with steps("Clear, then upload 7_paper.png"):
        pad.clear()
        pad.upload(example)
        uploaded = pad.wait_for_figure("The network reads a 7")
    with steps("Clear, then upload the same file again"):
        pad.clear()
        pad.upload(example)
        assert pad.wait_for_figure("The network reads a 7") == uploaded
    assert browser.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", label)
