"""One notebook's run in the sandbox, seen from the grader: the channel, the time limit, and each exercise's verdict.

The runner (grading/runner.py) reports each `check` call with the answer's value as plain data; here the
course's checker judges it, in the grader's process. A function answer is judged by calling the course's
test with a stand-in (`Remote`) that sends each call's arguments into the sandbox and brings the result
back as data. Whatever the sandbox sends is decoded into builtin types and numeric arrays only.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grading import sandbox
from grading.runner import decode, encode
from helpers.checks import is_right

RUNNER = Path(__file__).with_name("runner.py")
MAX_LINE = 16 * 2**20
MAX_MESSAGES = 100_000


class SandboxGone(BaseException):
    """The sandbox died or ran out of time while the checker was calling the student's function.

    A BaseException, so that the checker's `except Exception` (a failing function is a wrong answer) lets it by.
    """


class RemoteError(Exception):
    """The student's function raised, in the sandbox; the checker counts that answer as wrong."""


@dataclass
class Outcome:
    """What one run produced: the last verdict of each exercise checked, and how the run ended."""

    verdicts: dict[str, tuple[str, str]] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    cell: int = -1  # the last cell started
    ended: str = "finished"  # finished, timeout, killed, tampered
    detail: str = ""
    forks_refused: int = 0


class Channel:
    """The grader's end: a thread reads the runner's lines (bounded) into a queue; `receive` keeps the deadline."""

    def __init__(self, process: subprocess.Popen, deadline: float) -> None:
        self.process, self.deadline, self.lines = process, deadline, queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for _ in range(MAX_MESSAGES):
            line = self.process.stdout.readline(MAX_LINE)
            if not line.endswith(b"\n"):
                self.lines.put(None if not line else {"malformed": "a message too long"})
                return
            try:
                message = json.loads(line)
            except ValueError:
                message = {"malformed": "a message that is not JSON"}
            self.lines.put(message if isinstance(message, dict) else {"malformed": "a message that is not an object"})
        self.lines.put({"malformed": "too many messages"})

    def receive(self) -> dict | None:
        """The next message; None once the runner hung up; SandboxGone when time is up."""
        try:
            return self.lines.get(timeout=max(0.0, self.deadline - time.monotonic()))
        except queue.Empty:
            raise SandboxGone("timeout") from None

    def send(self, **message: object) -> None:
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise SandboxGone("hung up") from None


class Remote:
    """A student's function as the checker sees it: each call runs in the sandbox; arguments and result are data."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def __call__(self, *args: object) -> object:
        self.channel.send(call=encode(args))
        reply = self.channel.receive()
        if reply is None:
            raise SandboxGone("hung up")
        if "result" in reply:
            return decode(reply["result"])
        raise RemoteError(str(reply.get("raised", "an error")))


def checked(exercise: str, answer: object) -> bool:
    """The course's checker on one answer; an answer it cannot even compare (10**400 as a float) is not right."""
    try:
        return is_right(exercise, answer)
    except Exception:  # noqa: BLE001 - whatever the answer makes the checker raise, the answer is not right
        return False


def judge(exercise: str, message: dict, channel: Channel) -> tuple[str, str]:
    """The verdict of one check call, by the course's checker, run here."""
    if message.get("function") is True:
        try:
            right = checked(exercise, Remote(channel))
        finally:
            channel.send(done=True)
        if right:
            return "right", "your function passes the course's check"
        return "not yet", "your function does not pass the course's check"
    answer = decode(message.get("answer"))
    if answer is None or answer is Ellipsis:
        return "not attempted", "the answer is still the placeholder"
    if checked(exercise, answer):
        return "right", "the course's check passes"
    return "not yet", "the course's check does not pass"


def converse(channel: Channel, exercises: tuple[str, ...], outcome: Outcome) -> None:
    """Follow the runner's messages to the end, judging each check; the last check of an exercise decides."""
    while (message := channel.receive()) is not None:
        if "malformed" in message:
            outcome.ended, outcome.detail = "tampered", f"wrote {message['malformed']} on the grader's channel"
            return
        if isinstance(message.get("cell"), int):
            outcome.cell = message["cell"]
        if "error" in message:
            outcome.errors[outcome.cell] = str(message["error"])[:80]
        elif "tampered" in message:
            outcome.ended, outcome.detail = "tampered", str(message["tampered"])[:200]
            return
        elif "check" in message:
            exercise = str(message["check"])
            if exercise in exercises:
                outcome.verdicts[exercise] = judge(exercise, message, channel)
            elif message.get("function") is True:
                channel.send(done=True)  # another notebook's exercise: not this notebook's to judge
        elif message.get("end") is True:
            return
    outcome.ended = "killed"


def run_notebook(
    nb: nbformat.NotebookNode, exercises: tuple[str, ...], env_dir: Path, user: str, limits: sandbox.Limits, name: str
) -> Outcome:
    """Run a (submitted) notebook in a fresh sandbox as `user` and collect its exercises' verdicts."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:  # the stored outputs count for nothing: the runner never sees them
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    outcome = Outcome()
    stage = Path(tempfile.mkdtemp(prefix="mnist-grading-"))  # root only (0700)
    group = sandbox.cgroup(name, limits)
    try:
        (stage / "root").mkdir()
        nbformat.write(nb, stage / "notebook.ipynb")
        shutil.copy(RUNNER, stage / "runner.py")
        argv, environment = sandbox.command(stage, env_dir, user, limits, ["runner.py", "notebook.ipynb"])
        process = subprocess.Popen(
            group.join_command() + argv,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        channel = Channel(process, time.monotonic() + limits.seconds)
        try:
            converse(channel, exercises, outcome)
        except SandboxGone as gone:
            outcome.ended = "timeout" if str(gone) == "timeout" else "killed"
        group.kill_all()
        process.wait()
        if outcome.ended == "killed" and group.out_of_memory():
            outcome.detail = f"used more than its {limits.memory / 2**30:.1f} GB of memory"
        elif outcome.ended == "killed":
            outcome.detail = "its process died"
        outcome.forks_refused = group.forks_refused()
    finally:
        group.remove()
        sandbox.kill_processes_of(sandbox.ensure_user(user)[0])  # one still exiting when its cgroup emptied
        shutil.rmtree(stage, ignore_errors=True)
    return outcome
