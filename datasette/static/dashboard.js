// The dashboard's tiles and charts (no inline script: the content-security policy forbids it).
document.querySelector(".pi-period select").addEventListener("change", (event) => {
  event.target.form.submit();
});
(async function () {
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
    const [totals] = await (await fetch(box.dataset.url)).json();
    box.innerHTML = tiles.map(([key, label, fmt]) => {
      const value = totals && totals[key] !== null && totals[key] !== undefined ? fmt(totals[key]) : "—";
      return `<div class="pi-tile"><div class="pi-tile-value">${value}</div><div class="pi-tile-label">${label}</div></div>`;
    }).join("");
  } catch (error) {
    box.textContent = `Could not load the totals: ${error.message}`;
  }
  box.removeAttribute("aria-busy");
})();
(function () {
  const charts = JSON.parse(document.getElementById("pi-charts").dataset.charts);
  charts.forEach(async (chart) => {
    const el = document.querySelector(`[data-chart="${chart.id}"]`);
    try {
      const response = await fetch(chart.data_url);
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      const rows = await response.json();
      if (!rows.length) {
        el.textContent = "No requests in this period.";
        el.classList.add("pi-empty");
      } else {
        const spec = Object.assign({}, chart.spec, {
          $schema: "https://vega.github.io/schema/vega-lite/v5.json",
          data: {values: rows}, width: "container", height: 220,
          autosize: {type: "fit", contains: "padding"},
        });
        el.textContent = "";
        const view = new vega.View(vega.parse(vegaLite.compile(spec).spec),
                                   {renderer: "svg", container: el, hover: true});
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
