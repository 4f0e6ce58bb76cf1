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
import sqlite_utils
import yaml

from tests.conftest import ROOT
from writer.bench import demo

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
    # The guardrails show once: in the prompt's own section, not again beside it. The idea is
    # Spanish, so the prompt's sections are too (Restricciones, Directiva).
    assert page.locator(".pi-prompt h3", has_text="Restricciones").count() == 1
    assert page.locator("#pi-guardrails").count() == 0
    assert answer["guardrails"][0] in page.locator(".pi-prompt").inner_text()
    assert page.locator(".pi-prompt h3", has_text="Directiva").count() == 1
    assert page.locator("#pi-engine").inner_text().startswith("offline improver (nlac)")
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


def test_feedback_from_the_reading_view_is_stored_and_shown(page, stack):
    server, db, answer = stack
    page.goto(f"{server.url}/prompt_history/prompt_history/{answer['id']}")
    assert page.locator("#pi-feedback-none").is_visible()
    final = page.locator("textarea[name=final_prompt]")
    assert not final.is_visible()  # asked for only when the outcome is "edited"
    page.check("input[name=outcome][value=edited]")
    assert final.is_visible() and final.input_value() == answer["improved_prompt"]
    final.fill("Role: Eres un agrónomo.\n\nDirective: Planifica la cosecha por parcelas.")
    page.select_option("select[name=rating]", "4")
    page.fill("input[name=comment]", "Más corto")
    with page.expect_navigation():  # saved, then the page reloads from the database
        page.click("#pi-feedback-form button[type=submit]")
    latest = page.locator("#pi-feedback-latest")
    assert "edited" in latest.inner_text() and "Más corto" in latest.inner_text()
    assert latest.locator(".pi-rating").get_attribute("title") == "4 of 5"
    stored = list(
        sqlite_utils.Database(db)["feedback"].rows_where("history_id = ?", [answer["id"]])
    )
    assert [(f["outcome"], f["rating"], f["comment"], f["client"]) for f in stored] == [
        ("edited", 4, "Más corto", "browser")
    ]
    assert stored[0]["final_prompt"].startswith("Role: Eres un agrónomo.")
    # A second opinion: the latest counts, the earlier one stays in the history.
    page.check("input[name=outcome][value=accepted]")
    with page.expect_navigation():
        page.click("#pi-feedback-form button[type=submit]")
    assert "accepted" in page.locator("#pi-feedback-latest").inner_text()
    assert page.locator("#pi-feedback-history li").count() == 1
    assert "edited" in page.locator("#pi-feedback-history li").first.text_content()
    page.screenshot(path=_screenshot("row-feedback.png"), full_page=True)


def test_feedback_form_says_what_is_wrong(page, stack):
    server, _, answer = stack
    page.goto(f"{server.url}/prompt_history/prompt_history/{answer['id']}")
    page.check("input[name=outcome][value=edited]")
    page.fill("textarea[name=final_prompt]", "   ")
    page.click("#pi-feedback-form button[type=submit]")
    status = page.locator("#pi-feedback-status")
    status.filter(has_text="final_prompt").wait_for()
    assert page.locator("#pi-feedback-form button[type=submit]").is_enabled()


def test_an_unknown_row_gets_a_helpful_404(page, stack):
    server = stack[0]
    response = page.goto(f"{server.url}/prompt_history/prompt_history/999999")
    assert response.status == 404
    box = page.locator("#pi-notfound")
    assert "not in the history" in box.inner_text()
    # Styled like the rest (error pages get no plugin CSS unless the template links it).
    style = "e => getComputedStyle(e).borderLeftStyle"
    assert page.locator(".pi-notfound-what").evaluate(style) == "solid"
    page.click("#pi-notfound a:has-text('The history')")
    assert page.url.endswith("/prompt_history/prompt_history")


def test_table_page_is_compact(page, stack):
    server = stack[0]
    page.goto(f"{server.url}/prompt_history/prompt_history")
    headers = page.locator("table.rows-and-columns th").all_inner_texts()
    assert len(headers) == 12 and "row_key" not in " ".join(headers)
    assert not page.locator("dl.column-descriptions").is_visible()
    heights = page.eval_on_selector_all(
        "table.rows-and-columns tbody tr", "rows => rows.map(r => r.offsetHeight)"
    )
    assert max(heights) < 120, max(heights)  # was ~360 px with every column
    with page.expect_navigation():
        page.click("#pi-columns-note a:has-text('Show all columns')")
    assert page.locator("table.rows-and-columns th").count() > 20


def test_canned_query_sql_is_hidden_and_empty_results_explain(page, stack):
    server = stack[0]
    page.goto(f"{server.url}/prompt_history/model_summary?days=30")
    assert page.locator("textarea#sql-editor, .CodeMirror, pre.wrapped-sql").count() == 0
    assert page.locator("table.rows-and-columns tbody tr").count() > 0
    page.goto(f"{server.url}/prompt_history/eval_run_results?run=999999")
    assert "pick a run from eval_runs" in page.locator("#pi-empty-state").inner_text()


@pytest.fixture(scope="module")
def one_day(tmp_path_factory):
    """A history of one day only: what a new user sees on day one."""
    from tests.conftest import ServeProcess

    db = tmp_path_factory.mktemp("one-day") / "prompt_history.db"
    demo.write(db, 40, days=1, seed=3)
    server = ServeProcess(db, {"SQLITE_RETENTION_DAYS": "0"}).start()
    yield server
    server.stop()


def test_dashboard_reads_well_with_one_day_of_data(page, one_day):
    page.goto(f"{one_day.url}/-/dashboard?days=7")
    page.wait_for_function(
        "Array.from(document.querySelectorAll('.pi-chart')).every(e => e.dataset.rendered)",
        timeout=30_000,
    )
    assert page.locator(".pi-chart[data-rendered=error]").count() == 0
    volume = page.locator("[data-chart=volume]")
    texts = "els => els.map(e => e.textContent)"  # SVG text has no innerText
    labels = volume.locator("g.role-axis-label text").evaluate_all(texts)
    x_labels = [label for label in labels if not label.isdigit()]
    assert len(x_labels) >= 7 and len(x_labels) == len(set(x_labels)), x_labels  # no repeats
    y_labels = [label for label in labels if label.replace(".", "").isdigit()]
    assert all("." not in label for label in y_labels), y_labels  # whole requests only
    # A day is a bar of a week's width, not the whole chart.
    width = volume.evaluate("e => e.getBoundingClientRect().width")
    bar = volume.evaluate(
        "e => Math.max(...Array.from(e.querySelectorAll('g.mark-rect path'))"
        ".map(p => p.getBoundingClientRect().width))"
    )
    assert 0 < bar < width / 4, (bar, width)
    latency_title = page.locator("[data-chart=latency] g.role-axis-title text").evaluate_all(texts)
    assert "latency (ms, log scale)" in latency_title
    page.screenshot(path=_screenshot("dashboard-one-day.png"), full_page=True)


def _screenshot(name: str) -> str:
    """docs/screenshots only on request (`make screenshots`), so `make test` leaves git clean."""
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / name)
