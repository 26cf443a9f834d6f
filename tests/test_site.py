"""`make html`: the course site, checked as a reader sees it, in headless Chromium."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from scripts import build_site

CHROMIUM = Path("/usr/bin/chromium")  # Debian's packages chromium and chromium-driver (`make browser`)
CHROMEDRIVER = Path("/usr/bin/chromedriver")
NOTEBOOKS = sorted(build_site.SOURCE.glob("[0-9][0-9]_*.ipynb"))
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(20)).decode()


def headings(nb: nbformat.NotebookNode, level: int) -> list[str]:
    """The markdown headings of one level, in order, as the notebook's author wrote them."""
    pattern = re.compile(rf"^{'#' * level} (.+)$", re.MULTILINE)
    return [h.strip() for c in nb.cells if c.cell_type == "markdown" for h in pattern.findall(c.source)]


def png_outputs(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the stored notebooks, built by the code behind `make html`."""
    folder = tmp_path_factory.mktemp("site")
    build_site.build_site(folder)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """Headless Chromium driven by Selenium through Debian's chromedriver; nothing is downloaded."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if missing:
        reason = f"{' and '.join(missing)} not installed: `make browser` installs them (apt-get, as root)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must run the browser test: {reason}")
        pytest.skip(reason)
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900"):
        options.add_argument(argument)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # with both paths given Selenium Manager is skipped; never let it download
        driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def texts(driver: WebDriver, selector: str) -> list[str]:
    """The text of each element matching `selector`, without the "¶" of nbconvert's heading anchors."""
    elements = driver.find_elements(By.CSS_SELECTOR, selector)
    return [e.get_attribute("textContent").replace("¶", "").strip() for e in elements]


def test_index_lists_each_notebook_with_its_goals_and_time(site: Path, browser: WebDriver) -> None:
    browser.get((site / "index.html").as_uri())
    assert texts(browser, "h1") == [build_site.COURSE_TITLE]
    body = browser.find_element(By.TAG_NAME, "body").text
    for path in NOTEBOOKS:
        entry = build_site.read_entry(path, nbformat.read(path, as_version=4))
        assert entry.label in texts(browser, "h2")
        assert f"Time: {entry.time}" in body
        first_goal = entry.goals.splitlines()[0].removeprefix("- ").replace("`", "")
        assert first_goal in body


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_reader_follows_the_index_to_each_notebook(site: Path, browser: WebDriver, path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    entry = build_site.read_entry(path, nb)
    browser.get((site / "index.html").as_uri())
    browser.find_element(By.LINK_TEXT, entry.label).click()
    assert browser.current_url.endswith("/" + entry.href)
    assert browser.title == entry.label

    assert texts(browser, "h1") == headings(nb, 1)
    assert texts(browser, "h2") == headings(nb, 2)
    images = browser.find_elements(By.CSS_SELECTOR, "img")
    assert len(images) == png_outputs(nb) > 0
    for image in images:
        assert image.get_attribute("src").startswith("data:image/png;base64,")
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0

    solutions = browser.find_elements(By.CSS_SELECTOR, "details.course-solution")
    assert len(solutions) == len(re.findall(r"^### Exercise \d+:", "\n".join(c.source for c in nb.cells), re.M))
    assert not [d for d in solutions if d.get_attribute("open") is not None], "solutions start folded"

    nav = browser.find_element(By.CSS_SELECTOR, "nav.course-nav.top")
    assert nav.find_element(By.LINK_TEXT, "Course index").get_attribute("href").endswith("/index.html")
    following = NOTEBOOKS.index(path) + 1
    if following < len(NOTEBOOKS):
        assert (
            nav.find_element(By.CSS_SELECTOR, "a.next")
            .get_attribute("href")
            .endswith("/" + NOTEBOOKS[following].with_suffix(".html").name)
        )
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert not [url for url in loaded if not url.startswith(("file:", "data:"))], "the page loads nothing online"


def tiny_notebook(title: str, with_solution: bool) -> nbformat.NotebookNode:
    first = f"# {title}\n\nIntro.\n\n**You will learn to**\n- one thing;\n- another.\n\n**Time:** about 5 minutes."
    cells = [first, new_code_cell("x", execution_count=1, outputs=[new_output("display_data", {"image/png": PNG})])]
    nb = new_notebook(cells=[new_markdown_cell(cells[0]), cells[1]])
    if with_solution:
        for cell in (new_markdown_cell("**Solution.** Two cells, one fold."), new_code_cell("y")):
            cell.metadata = {"tags": ["solution"], "jupyter": {"source_hidden": True}}
            nb.cells.append(cell)
    return nb


def test_build_site_links_pages_folds_solutions_and_removes_stale_pages(tmp_path: Path) -> None:
    source, out = tmp_path / "notebooks", tmp_path / "site"
    source.mkdir()
    nbformat.write(tiny_notebook("First", with_solution=True), source / "01_first.ipynb")
    nbformat.write(tiny_notebook("Second", with_solution=False), source / "02_second.ipynb")
    out.mkdir()
    (out / "09_gone.html").write_text("old")
    written = build_site.build_site(out, source)
    assert sorted(p.name for p in written) == ["01_first.html", "02_second.html", "index.html"]
    assert not (out / "09_gone.html").exists()
    first, second, index = ((out / n).read_text() for n in ("01_first.html", "02_second.html", "index.html"))
    assert first.count("<details") == 1 and second.count("<details") == 0
    assert 'href="02_second.html"' in first and 'href="01_first.html"' in second and 'href="index.html"' in second
    assert "About 10 minutes in all" in index and "data:image/png;base64," in first
    assert "<script src=" not in first, "no script from the network"


def test_a_notebook_without_goals_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Only a title")]), tmp_path / "notebooks" / "01_x.ipynb")
    with pytest.raises(ValueError, match="You will learn to"):
        build_site.build_site(tmp_path / "site", tmp_path / "notebooks")
