"""Issue 12 in a real browser: a page on another origin cannot write, and Datasette's pages
work under the content-security policy. Headless chromium against `prompt-improver serve`."""

from __future__ import annotations

import json
import time

import httpx
import pytest
import sqlite_utils
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.conftest import ThreadServer
from tests.test_browser import CHROMIUM, browser, stack  # noqa: F401 (fixtures)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install chromium); `make test` installs it",
)

ATTACK = """<!doctype html><html><body>
<iframe name="sink"></iframe>
<form id="f" method="post" enctype="text/plain" target="sink" action="TARGET/api/v1/history">
<input name='{"original_idea":"evil form","improved_prompt":"x","context":"' value='"}'>
</form>
<img id="img" src="TARGET/prompt_history.json?sql=select+zeroblob(100000000)">
<script>
const target = "TARGET";
const record = JSON.stringify({original_idea: "evil fetch", improved_prompt: "x"});
const idea = JSON.stringify({idea: "evil idea that spends credit", mode: "nlac"});
const feedback = JSON.stringify({outcome: "rejected"});
async function attempt(name, path, init) {
  try {
    const r = await fetch(target + path, init);
    window.results[name] = r.type === "opaque" ? "opaque" : r.status;
  } catch (e) {
    window.results[name] = "blocked";
  }
}
window.results = {};
(async () => {
  const text = {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}};
  await attempt("nocors_history", "/api/v1/history", {...text, body: record});
  await attempt("nocors_improve", "/api/v1/improve-prompt", {...text, body: idea});
  await attempt("nocors_feedback", "/api/v1/history/1/feedback", {...text, body: feedback});
  const json = {method: "POST", headers: {"Content-Type": "application/json"}};
  await attempt("json_history", "/api/v1/history", {...json, body: record});
  await attempt("json_improve", "/api/v1/improve-prompt", {...json, body: idea});
  await attempt("read_history", "/prompt_history/prompt_history.json", {});
  document.getElementById("f").submit();
  window.done = true;
})();
</script></body></html>"""


def attacker_app(target: str) -> Starlette:
    async def page(request):
        return HTMLResponse(ATTACK.replace("TARGET", target))

    return Starlette(routes=[Route("/", page)])


def test_a_page_on_another_origin_cannot_write(browser, stack):  # noqa: F811
    server, db, _ = stack
    before = sqlite_utils.Database(db)["prompt_history"].count
    feedback_before = sqlite_utils.Database(db)["feedback"].count
    # localhost is another site than 127.0.0.1 for the browser: a real cross-site page.
    with ThreadServer(attacker_app(server.url)) as evil:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"http://localhost:{evil.port}/")
        page.wait_for_function("window.done === true", timeout=20_000)
        time.sleep(1.5)  # let the form post land
        results = page.evaluate("window.results")
        context.close()
    # The JSON fetches and the read die in the CORS preflight / response check; the no-cors
    # ones are sent (opaque) but the server refuses them: nothing is stored.
    assert results["json_history"] == "blocked" and results["json_improve"] == "blocked"
    assert results["read_history"] == "blocked"
    assert results["nocors_history"] == "opaque"
    db_now = sqlite_utils.Database(db)
    assert db_now["prompt_history"].count == before
    assert db_now["feedback"].count == feedback_before
    assert not list(db_now.query("select id from prompt_history where original_idea like 'evil%'"))
    assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200


CHARTS_DRAWN = (
    "Array.from(document.querySelectorAll('.pi-chart'))"
    ".every(e => e.dataset.rendered && e.dataset.rendered !== 'error')"
)
PAGES = [
    ("/-/dashboard", CHARTS_DRAWN),
    ("/prompt_history/prompt_history/1", "document.getElementById('pi-copy') !== null"),
    ("/prompt_history/prompt_history", "document.querySelector('table.rows-and-columns') !== null"),
    ("/prompt_history?sql=select+1", "document.querySelector('.CodeMirror') !== null"),
]


@pytest.mark.parametrize(("path", "ready"), PAGES)
def test_pages_work_under_the_content_security_policy(browser, stack, path, ready):  # noqa: F811
    server = stack[0]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    response = page.goto(f"{server.url}{path}")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_function(ready, timeout=30_000)
    violations = page.evaluate("window.__csp")
    if path == "/-/dashboard":
        # The period menu is wired by dashboard.js (no inline handler): it still navigates.
        page.select_option(".pi-period select", "7")
        page.wait_for_url("**days=7**", timeout=15_000)
    context.close()
    assert violations == [], json.dumps(violations)
    assert errors == [], errors
