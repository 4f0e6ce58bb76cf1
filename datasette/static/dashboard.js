// The dashboard at /-/dashboard: headline figures, then one Vega-Lite chart per canned query.
// A static file (the CSP allows scripts from this origin only); the chart specs come from
// metadata.yml through a JSON block in the page.
(function () {
  "use strict";
  const DAY_MS = 86400000;

  // Changing the period reloads the page with ?days=.
  const period = document.querySelector(".pi-period select[name=days]");
  if (period) period.addEventListener("change", () => period.form.submit());

  (async function totals() {
    const box = document.getElementById("pi-totals");
    if (!box) return;
    const tiles = [
      ["requests", "Requests", (v) => v.toLocaleString()],
      ["failure_rate_pct", "Failure rate", (v) => `${v}%`],
      ["fallback_rate_pct", "Fallback rate", (v) => `${v}%`],
      ["mean_latency_ms", "Mean latency", (v) => `${Math.round(v).toLocaleString()} ms`],
      ["tokens", "Tokens", (v) => v.toLocaleString()],
      ["cost_usd", "Cost", (v) => `$${v.toFixed(2)}`],
      ["mean_confidence", "Mean confidence", (v) => v.toFixed(2)],
      ["models", "Models", (v) => String(v)],
    ];
    try {
      const [row] = await (await fetch(box.dataset.url)).json();
      box.replaceChildren(...tiles.map(([key, label, fmt]) => {
        const tile = document.createElement("div");
        tile.className = "pi-tile";
        const value = document.createElement("div");
        value.className = "pi-tile-value";
        value.textContent = row && row[key] !== null && row[key] !== undefined ? fmt(row[key]) : "—";
        const name = document.createElement("div");
        name.className = "pi-tile-label";
        name.textContent = label;
        tile.append(value, name);
        return tile;
      }));
    } catch (error) {
      box.textContent = `Could not load the totals: ${error.message}`;
    }
    box.removeAttribute("aria-busy");
  })();

  // Every x encoding on a day or time field, in the spec and its layers.
  function timeEncodings(spec) {
    const specs = [spec, ...(spec.layer || [])];
    return specs.map((s) => s.encoding && s.encoding.x).filter((x) => x && x.type === "temporal");
  }

  // A few days of data must not stretch one bar over the whole chart or label every 12 hours:
  // show at least a week, ticks at most one per day.
  function fitTimeAxis(spec, rows) {
    timeEncodings(spec).forEach((x) => {
      const times = rows.map((r) => Date.parse(r[x.field])).filter((t) => !Number.isNaN(t));
      if (!times.length) return;
      const last = Math.max(...times);
      const first = Math.min(...times);
      if (x.timeUnit) {  // one value per day: one label per day, never "Nov 22" twice
        x.axis = Object.assign({ format: "%b %d", labelAngle: 0, grid: false }, x.axis || {});
      }
      if (last - first < 6 * DAY_MS) {
        x.scale = Object.assign({}, x.scale || {}, { domain: [last - 6 * DAY_MS, last + DAY_MS] });
      }
    });
  }

  // A chart whose measures are all empty (e.g. no tokens: the offline improver reports none)
  // says so instead of drawing empty axes.
  function allEmpty(chart, rows) {
    const fields = chart.empty_when_zero || [];
    return fields.length > 0 && rows.every((r) => fields.every((f) => !r[f]));
  }

  const data = document.getElementById("pi-charts");
  const charts = data ? JSON.parse(data.textContent) : [];
  charts.forEach(async (chart) => {
    const el = document.querySelector(`[data-chart="${chart.id}"]`);
    try {
      const response = await fetch(chart.data_url);
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      const rows = await response.json();
      if (!rows.length || allEmpty(chart, rows)) {
        el.textContent = !rows.length ? (chart.empty || "No requests in this period.") : chart.empty_zero;
        el.classList.add("pi-empty");
      } else {
        const spec = Object.assign({}, JSON.parse(JSON.stringify(chart.spec)), {
          $schema: "https://vega.github.io/schema/vega-lite/v5.json",
          data: { values: rows }, width: "container", height: 220,
          autosize: { type: "fit", contains: "padding" },
        });
        fitTimeAxis(spec, rows);
        el.textContent = "";
        const view = new vega.View(vega.parse(vegaLite.compile(spec).spec),
                                   { renderer: "svg", container: el, hover: true });
        await view.runAsync();
      }
      el.dataset.rendered = String(rows.length);
    } catch (error) {
      el.textContent = `Could not draw this chart: ${error.message}`;
      el.classList.add("pi-error");
      el.dataset.rendered = "error";
    }
    el.removeAttribute("aria-busy");
  });
})();
