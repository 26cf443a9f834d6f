"""The class's log-in: NativeAuthenticator 1.3.0 with the two gaps that JupyterHub 6 opened in its login page closed.

NativeAuthenticator 1.3.0, its latest release, was written for JupyterHub 5. Its login page's POST
times the log-in with `self.statsd`, which JupyterHub 6.0 removed (jupyterhub/jupyterhub#5407), and
JupyterHub 6 calls the page's `_render` with keyword arguments that 1.3.0's does not take: every
log-in failed with a 500 error. This subclass gives the page a stand-in for statsd that records
nothing and a `_render` that accepts (and drops) the extra arguments; the rest is NativeAuthenticator's.
"""

from __future__ import annotations

from typing import Any

from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import LoginHandler as NativeLoginHandler


class NoMetrics:
    """What NativeAuthenticator's login page asks of statsd (`timer(name).start()`, `.stop(send=...)`): nothing."""

    def timer(self, name: str) -> NoMetrics:
        return self

    def start(self) -> NoMetrics:
        return self

    def stop(self, send: bool = True) -> None:
        return None


class LoginHandler(NativeLoginHandler):
    """NativeAuthenticator's login page, runnable on JupyterHub 6."""

    statsd = NoMetrics()

    def _render(self, login_error: str | None = None, username: str | None = None, **ignored: Any) -> Any:
        return super()._render(login_error=login_error, username=username)


class ClassAuthenticator(NativeAuthenticator):
    """NativeAuthenticator (sign-up, the admin's approval) with the login page above."""

    def get_handlers(self, app: Any) -> list[tuple[str, type]]:
        handlers = super().get_handlers(app)
        return [(path, LoginHandler if handler is NativeLoginHandler else handler) for path, handler in handlers]
