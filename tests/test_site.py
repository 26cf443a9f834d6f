"""`make html`: the course site, checked as a reader sees it, in headless Chromium."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from scripts import build_site
from tests.browser import headless_chromium, skip_or_fail

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"  # `make axe` (npm ci)
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]  # axe-core's tags for the WCAG 2.0 and 2.1 A and AA rules
NOTEBOOKS = sorted(build_site.SOURCE.glob("[0-9][0-9]_*.ipynb"))
PAGES = ["index.html", build_site.GLOSSARY] + [path.with_suffix(".html").name for path in NOTEBOOKS]
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(20)).decode()
DESKTOP, PHONE = (1200, 900), (360, 800)


def headings(nb: nbformat.NotebookNode, level: int) -> list[str]:
    """The markdown headings of one level, in order, as the notebook's author wrote them."""
    pattern = re.compile(rf"^{'#' * level} (.+)$", re.MULTILINE)
    return [h.strip() for c in nb.cells if c.cell_type == "markdown" for h in pattern.findall(c.source)]


def png_outputs(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


def alt_texts(nb: nbformat.NotebookNode) -> list[str | None]:
    """Each figure's stored text alternative, in order."""
    outputs = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    return [o.get("metadata", {}).get("image/png", {}).get("alt") for o in outputs]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the stored notebooks, built by the code behind `make html`."""
    folder = tmp_path_factory.mktemp("site")
    build_site.build_site(folder)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    """Headless Chromium driven by Selenium through Debian's chromedriver; nothing is downloaded."""
    with headless_chromium(f"--window-size={DESKTOP[0]},{DESKTOP[1]}") as driver:
        yield driver


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
    assert [image.get_attribute("alt") for image in images] == alt_texts(nb), "each figure's text alternative"

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


def test_links_between_notebooks_and_the_glossary_go_to_their_pages(tmp_path: Path) -> None:
    source, docs = tmp_path / "notebooks", tmp_path / "docs"
    source.mkdir()
    docs.mkdir()
    first = tiny_notebook("First", with_solution=False)
    first.cells.append(new_markdown_cell("[notebook 02](02_second.ipynb#Intro), [glossary](../docs/glossary.md#epoch)"))
    nbformat.write(first, source / "01_first.ipynb")
    nbformat.write(tiny_notebook("Second", with_solution=False), source / "02_second.ipynb")
    (docs / "glossary.md").write_text("# Glossary\n\n## epoch\n\nSee [notebook 01](../notebooks/01_first.ipynb#First).")
    written = build_site.build_site(tmp_path / "site", source)
    first_page, glossary, index = (tmp_path / "site" / n for n in ("01_first.html", build_site.GLOSSARY, "index.html"))
    assert glossary in written
    assert (
        'href="02_second.html#Intro"' in first_page.read_text()
        and 'href="glossary.html#epoch"' in first_page.read_text()
    )
    assert 'href="01_first.html#First"' in glossary.read_text() and 'href="glossary.html"' in index.read_text()


def test_a_notebook_without_goals_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Only a title")]), tmp_path / "notebooks" / "01_x.ipynb")
    with pytest.raises(ValueError, match="You will learn to"):
        build_site.build_site(tmp_path / "site", tmp_path / "notebooks")


@pytest.fixture(scope="module")
def axe() -> str:
    """axe-core's script, installed from the npm registry at the version package-lock.json pins."""
    if not AXE.is_file():
        skip_or_fail(f"{AXE} not installed: `make axe` installs it (npm ci)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(driver: WebDriver, axe: str) -> list[str]:
    """axe-core's WCAG 2.0/2.1 A and AA rules on the page shown: one line per rule broken, with where."""
    driver.execute_script(axe)
    driver.set_script_timeout(120)
    script = """const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: "tag", values: arguments[0]}}).then(
            result => done(result.violations.map(v => `${v.id} (${v.impact}, ${v.nodes.length} elements, e.g. ` +
                                                    `${v.nodes[0].target.join(" ")}): ${v.help}`)),
            error => done([`axe-core failed: ${error}`]));"""
    return driver.execute_async_script(script, WCAG_AA)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_passes_a_wcag_21_aa_audit(site: Path, browser: WebDriver, axe: str, page: str) -> None:
    browser.get((site / page).as_uri())
    assert axe_violations(browser, axe) == []


def test_the_audit_finds_what_it_is_for(tmp_path: Path, browser: WebDriver, axe: str) -> None:
    page = tmp_path / "bad.html"
    page.write_text('<html><body><p style="color:#b0b0b0">faint</p><img src="x.png"></body></html>')
    browser.get(page.as_uri())
    found = {line.split()[0] for line in axe_violations(browser, axe)}
    assert {"html-has-lang", "color-contrast", "image-alt"} <= found


def heading_levels(driver: WebDriver) -> list[int]:
    return driver.execute_script(
        "return [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => Number(h.tagName[1]))"
    )


@pytest.mark.parametrize("page", PAGES)
def test_pages_have_a_language_and_headings_in_order(site: Path, browser: WebDriver, page: str) -> None:
    browser.get((site / page).as_uri())
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    levels = heading_levels(browser)
    assert levels[0] == 1 and levels.count(1) == 1, "one h1, first"
    skips = [(a, b) for a, b in pairwise(levels) if b > a + 1]
    assert not skips, f"a heading level is skipped: {skips}"


def test_solutions_open_and_close_from_the_keyboard_with_a_visible_focus(site: Path, browser: WebDriver) -> None:
    browser.get((site / "01_load_and_look.html").as_uri())
    solution = browser.find_element(By.CSS_SELECTOR, "details.course-solution")
    summary = solution.find_element(By.TAG_NAME, "summary")
    browser.execute_script("arguments[0].scrollIntoView(); document.activeElement.blur()", summary)
    focused = None
    for _ in range(200):  # Tab through the page, as a keyboard user does, until the first solution's summary
        ActionChains(browser).send_keys(Keys.TAB).perform()
        focused = browser.switch_to.active_element
        if focused == summary:
            break
    assert focused == summary, "the folded solution is reached with Tab"
    outline = browser.execute_script(
        "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, parseFloat(s.outlineWidth)]", summary
    )
    assert outline[0] != "none" and outline[1] >= 2, f"visible focus outline: {outline}"
    for key, opened in ((Keys.ENTER, True), (Keys.ENTER, False), (Keys.SPACE, True), (Keys.SPACE, False)):
        ActionChains(browser).send_keys(key).perform()
        assert (solution.get_attribute("open") is not None) == opened, f"{key!r} toggles the solution"


OVERFLOWING = """const width = window.innerWidth;
    const scrolls = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement)
        if (getComputedStyle(p).overflowX !== "visible") return true; return false; };
    return [...document.body.querySelectorAll("*")]
        .filter(e => e.getBoundingClientRect().right > width + 1 && !scrolls(e))
        .map(e => `${e.tagName.toLowerCase()}.${e.className}`);"""


def overflowing(driver: WebDriver, page: Path) -> list[str]:
    """Elements of `page` that stick out of a phone-width window, other than inside a box that scrolls (code)."""
    driver.set_window_size(*PHONE)
    try:
        driver.get(page.as_uri())
        return driver.execute_script(OVERFLOWING)
    finally:
        driver.set_window_size(*DESKTOP)


@pytest.mark.parametrize("page", PAGES)
def test_pages_reflow_at_phone_width(site: Path, browser: WebDriver, page: str) -> None:
    assert overflowing(browser, site / page) == [], f"{page} scrolls sideways at {PHONE[0]} px"


def test_the_reflow_check_finds_a_wide_element(tmp_path: Path, browser: WebDriver) -> None:
    page = tmp_path / "wide.html"
    page.write_text('<html lang="en"><body><div class="wide" style="width: 600px">wide</div></body></html>')
    assert overflowing(browser, page) == ["div.wide"]
