"""Datasette plugin for the prompt history: reading view helpers, cell rendering, dashboard.

Read-only by construction: it adds a page and changes how values look, never writes.
"""

from __future__ import annotations

import json
import re

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

# Section headings in both languages the improver writes, by the section they name.
SECTIONS = {
    "role": "role",
    "rol": "role",
    "directive": "directive",
    "directiva": "directive",
    "framework": "framework",
    "marco": "framework",
    "guardrails": "guardrails",
    "restricciones": "guardrails",
    "context": "context",
    "contexto": "context",
    "task": "task",
    "tarea": "task",
}
SECTION_RE = re.compile(r"^(" + "|".join(SECTIONS) + r")\s*:\s*(.*)$", re.I)
HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")
BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*)$")


def prompt_html(text: str | None) -> Markup:
    """Render a prompt as a readable document: sections and Markdown headings become headings,
    list lines become lists, other lines keep their breaks. Everything is escaped first."""
    if not text:
        return Markup("")
    out: list[str] = []
    items: list[str] = []
    ordered = False

    def close_list() -> None:
        if items:
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>" + "".join(f"<li>{i}</li>" for i in items) + f"</{tag}>")
            items.clear()

    for line in str(text).splitlines():
        stripped = line.strip()
        if not stripped:
            close_list()
            continue
        heading = HEADING_RE.match(stripped)
        section = SECTION_RE.match(stripped)
        bullet = BULLET_RE.match(line)
        if heading:
            close_list()
            level = min(len(heading.group(1)) + 2, 6)
            out.append(f"<h{level}>{escape(heading.group(2))}</h{level}>")
        elif section:
            close_list()
            out.append(f'<h3 class="pi-section">{escape(section.group(1).title())}</h3>')
            if section.group(2):
                out.append(f"<p>{escape(section.group(2))}</p>")
        elif bullet:
            is_ordered = stripped[0].isdigit()
            if items and is_ordered != ordered:
                close_list()
            ordered = is_ordered
            items.append(str(escape(bullet.group(1))))
        else:
            close_list()
            out.append(f"<p>{escape(stripped)}</p>")
    close_list()
    return Markup("\n".join(out))


def guardrail_list(value: str | None) -> list[str]:
    """Guardrails are stored as a JSON array; older rows may hold plain lines."""
    if not value:
        return []
    try:
        parsed = json.loads(value)
        if isinstance(parsed, list):
            return [str(item) for item in parsed]
    except ValueError:
        pass
    return [line.strip() for line in str(value).splitlines() if line.strip()]


@hookimpl
def prepare_jinja2_environment(env) -> None:
    env.filters["prompt_html"] = prompt_html
    env.filters["guardrail_list"] = guardrail_list
    env.filters["has_section"] = has_section


def has_section(text: str | None, name: str) -> bool:
    """True when the prompt has a `name:` section (then the reading view does not repeat it)."""
    return any(
        (m := SECTION_RE.match(line.strip())) and SECTIONS[m.group(1).lower()] == name.lower()
        for line in str(text or "").splitlines()
    )


@hookimpl
def extra_template_vars(template, database, table, request, datasette):
    """The reading view's feedback: every feedback on the row, newest first."""
    if template != "row-prompt_history-prompt_history.html" or request is None:
        return {}

    async def feedback() -> dict:
        pk = request.url_vars.get("pks", "")
        if not pk.isdigit():
            return {"feedback": []}
        db = datasette.get_database("prompt_history")
        if not await db.table_exists("feedback"):
            return {"feedback": []}
        result = await db.execute(
            "SELECT id, created_at, outcome, final_prompt, rating, comment, client "
            "FROM feedback WHERE history_id = ? ORDER BY id DESC LIMIT 50",
            [int(pk)],
        )
        return {"feedback": [dict(row) for row in result.rows]}

    return feedback


@hookimpl
def extra_css_urls() -> list[str]:
    return ["/assets/prompt-history.css"]


@hookimpl
def render_cell(value, column, table, database, datasette):
    if database != "prompt_history":
        return None
    if column == "id" and table in (None, "improvements_ok", "failures") and isinstance(value, int):
        # Query and view results link each row to its reading view.
        url = datasette.urls.row("prompt_history", "prompt_history", str(value))
        return Markup(f'<a href="{escape(url)}">{value}</a>')
    if not isinstance(value, str):
        return None
    if column == "guardrails" and value.startswith("["):
        items = guardrail_list(value)
        return Markup(
            '<ul class="pi-guardrails">' + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"
        )
    if column == "snippet" and table is None:
        # The search query marks matches with [[ ]]: show them highlighted, escaped.
        marked = str(escape(value)).replace("[[", "<mark>").replace("]]", "</mark>")
        return Markup(f'<span class="pi-snippet">{marked}</span>')
    return None


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/dashboard"), "label": "Prompt history dashboard"}]


@hookimpl
def register_routes():
    return [(r"^/-/dashboard$", dashboard)]


async def dashboard(datasette, request):
    # Same rule as every other page (plugins/guard.py decides off loopback).
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    config = datasette.plugin_config("prompt-history") or {}
    charts = [dict(chart) for chart in config.get("dashboard", [])]
    days = request.args.get("days", "30")
    days = days if days.isdigit() and 0 < int(days) <= 3650 else "30"
    for chart in charts:
        vega = "&".join(
            f"g.{k}={v}"
            for k, v in {
                "mark": chart["vega"]["mark"],
                "x_column": chart["vega"]["x"],
                "x_type": "ordinal",
                "y_column": chart["vega"]["y"],
                "y_type": "quantitative",
                "color_column": chart["vega"].get("color", ""),
            }.items()
        )
        chart["table_url"] = datasette.urls.path(f"/prompt_history/{chart['query']}?days={days}")
        chart["chart_url"] = f"{chart['table_url']}#{vega}"
        chart["data_url"] = datasette.urls.path(
            f"/prompt_history/{chart['query']}.json?_shape=array&days={days}"
        )
    totals = config.get("totals_query")
    totals_url = datasette.urls.path(f"/prompt_history/{totals}.json?_shape=array&days={days}")
    return Response.html(
        await datasette.render_template(
            "dashboard.html",
            {
                "charts": charts,
                "days": days,
                # Inside <script type="application/json">: "</" must not end the element.
                "charts_json": json.dumps(charts).replace("</", "<\\/"),
                "totals_url": totals_url if totals else None,
                "totals_page": datasette.urls.path(f"/prompt_history/{totals}?days={days}"),
            },
            request=request,
        )
    )
