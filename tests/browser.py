"""Headless Chromium for the browser tests (the site's and the drawing pad's): Debian's, never a download."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")  # Debian's packages chromium and chromium-driver (`make browser`)
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def skip_or_fail(reason: str) -> None:
    """Locally a missing tool skips the test; in CI (CI=true) it fails, so that CI always runs it."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the browser test: {reason}")
    pytest.skip(reason)


@contextmanager
def headless_chromium(*arguments: str) -> Iterator[WebDriver]:
    """Chromium driven by Selenium through chromedriver, with `--headless=new --no-sandbox` and `arguments`."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        skip_or_fail(f"{' and '.join(missing)} not installed: `make browser` installs them (apt-get, as root)")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", *arguments):
        options.add_argument(argument)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # with both paths given Selenium Manager is skipped; never let it download
        driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
