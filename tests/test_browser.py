"""The history as a person opens it: headless Debian chromium against `prompt-improver serve`.

Skipped, saying why, only where chromium is not installed (`make test` installs it).
With UPDATE_SCREENSHOTS=1 (`make screenshots`) writes the README's screenshots to
docs/screenshots/; otherwise to a scratch folder, so a test run leaves the checkout unchanged.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
import yaml

from tests.conftest import ROOT
from writer import demo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = ROOT / "docs" / "screenshots"
SCRATCH = Path(tempfile.gettempdir()) / "prompt-improver-screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install chromium); `make test` installs it",
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A few hundred generated rows plus one real improvement, served on 127.0.0.1."""
    from tests.conftest import ServeProcess

    db = tmp_path_factory.mktemp("browser") / "prompt_history.db"
    demo.write(db, 400, days=30, seed=7)
    server = ServeProcess(db, {"SQLITE_RETENTION_DAYS": "0"}).start()
    r = httpx.post(
        f"{server.url}/api/v1/improve-prompt",
        timeout=30,
        json={
            "idea": "Planifica la cosecha de zanahorias ecológicas para una cooperativa",
            "context": "Somos 12 socios y tenemos 3 hectáreas",
            "mode": "nlac",
        },
    )
    assert r.status_code == 200, r.text
    yield server, db, r.json()
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, stack):
    server = stack[0]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if urlparse(request.url).hostname not in ("127.0.0.1", None)
            else None
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert outside == [], f"the page asked the internet for {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


def test_dashboard_renders_every_chart(page, stack):
    server = stack[0]
    page.goto(f"{server.url}/-/dashboard?days=30")
    charts = page.locator(".pi-chart")
    metadata = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
    assert charts.count() == len(metadata["plugins"]["prompt-history"]["dashboard"]) == 8
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.pi-chart')).every(e => e.dataset.rendered)",
        timeout=30_000,
    )
    for i in range(charts.count()):
        chart = charts.nth(i)
        name = chart.get_attribute("data-chart")
        assert chart.get_attribute("data-rendered") not in ("error", "0"), name
        marks = chart.locator("svg g[class*='mark-'] path").count()
        assert marks > 0, f"chart {name} drew no marks"
    tiles = page.locator(".pi-tile-value")
    assert tiles.count() == 8
    assert int(tiles.first.inner_text().replace(",", "")) > 0
    page.screenshot(path=_screenshot("dashboard.png"), full_page=True)


def test_dashboard_links_open_datasette_vega_charts(page, stack):
    server = stack[0]
    page.goto(f"{server.url}/-/dashboard?days=30")
    link = page.locator("#chart-volume a", has_text="chart in Datasette")
    link.click()
    page.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=30_000)
    assert "#g.mark=bar" in page.url
    size = page.evaluate(
        "(() => { const c = document.querySelector('.vega-embed canvas');"
        " return c ? c.width * c.height : 1; })()"
    )
    assert size > 0


def test_row_page_reads_as_a_document_and_copies(page, stack):
    server, db, answer = stack
    page.goto(f"{server.url}/prompt_history/prompt_history/{answer['id']}")
    guardrails = page.locator("#pi-guardrails li")
    assert guardrails.count() == len(answer["guardrails"])
    assert guardrails.first.inner_text() == answer["guardrails"][0]
    assert page.locator(".pi-prompt h3", has_text="Directive").count() == 1
    assert "zanahorias" in page.locator(".pi-idea").first.inner_text()
    assert "ms" in page.locator(".pi-meta").inner_text()
    page.screenshot(path=_screenshot("row.png"), full_page=True)
    page.click("#pi-copy")
    page.wait_for_function("document.getElementById('pi-copy').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == answer["improved_prompt"]


def test_search_finds_a_row_by_a_word_of_its_idea(page, stack):
    server, _, answer = stack
    page.goto(f"{server.url}/prompt_history/search?q=zanahorias")
    link = page.locator(f"table.rows-and-columns a[href$='/prompt_history/{answer['id']}']")
    assert link.count() == 1
    assert page.locator(".pi-snippet mark").first.inner_text().lower() == "zanahorias"


def test_table_page_previews_long_text(page, stack):
    server = stack[0]
    page.goto(f"{server.url}/prompt_history/prompt_history")
    cell = page.locator("td.col-improved_prompt").first.inner_text()
    assert 0 < len(cell) <= 170 and cell.endswith("…")


def _screenshot(name: str) -> str:
    """docs/screenshots only on request (`make screenshots`), so `make test` leaves git clean."""
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / name)
