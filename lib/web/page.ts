/**
 * The status page at `/`: the `/status` document as tables (exporting
 * instances, hosts, collectors), and skiff's own charts (the `netdata.*`
 * charts of the local host) of the last minutes, drawn with uPlot from
 * `/api/v1/data`. uPlot comes from npm and is built into skiff: the page
 * needs nothing from the internet.
 *
 * @module
 */

import UPLOT_JS from "uplot/dist/uPlot.iife.min.js" with {
  type: "text",
};
import UPLOT_CSS from "uplot/dist/uPlot.min.css" with {
  type: "text",
};

/** The files the page loads, by path. */
export const PAGE_ASSETS: Record<string, { type: string; body: string }> = {
  "/uplot.min.js": {
    type: "application/javascript; charset=utf-8",
    body: UPLOT_JS,
  },
  "/uplot.min.css": { type: "text/css; charset=utf-8", body: UPLOT_CSS },
};

/** The page's script: runs in the browser. */
const SCRIPT = String.raw`
const MINUTES = 5;
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
};
function table(head, rows) {
  const t = el("table", {}, el("tr", {}, ...head.map((h) => el("th", {}, h))));
  for (const r of rows) t.append(el("tr", {}, ...r.map((c) => el("td", {}, c ?? "-"))));
  return t;
}
async function status() {
  const s = await (await fetch("status")).json();
  document.getElementById("title").textContent =
    "skiff " + s.version + " on " + s.hostname + ", up " + s.uptime_seconds + " s";
  const ex = document.getElementById("exporting");
  ex.replaceChildren(table(
    ["instance", "type", "destination", "state", "failing since", "last error",
      "formatted", "sent", "lost", "buffered", "buffered bytes"],
    s.exporting.map((i) => [i.name, i.type, i.connected_to ?? i.destinations.join(" "),
      i.state, i.failing_since, i.last_error, String(i.metrics.formatted),
      String(i.metrics.sent), String(i.metrics.lost), String(i.metrics.buffered),
      String(i.buffered_bytes)]),
  ));
  document.getElementById("hosts").replaceChildren(table(
    ["host", "state", "peer", "since", "charts", "dimensions"],
    s.hosts.map((h) => [h.hostname, h.state, h.peer,
      h.streaming_since ?? h.disconnected_since, String(h.charts), String(h.dimensions)]),
  ));
  document.getElementById("collectors").replaceChildren(table(
    ["collector", "every (s)", "last run (µs)"],
    s.collectors.map((c) => [c.name, String(c.update_every),
      c.last_duration_us === null ? null : String(c.last_duration_us)]),
  ));
}
const plots = new Map();
async function charts() {
  const all = (await (await fetch("api/v1/charts")).json()).charts;
  const ids = Object.keys(all).filter((id) => id.startsWith("netdata."))
    .sort((a, b) => all[a].priority - all[b].priority || (a < b ? -1 : 1));
  const box = document.getElementById("charts");
  for (const id of ids) {
    const r = await fetch("api/v1/data?chart=" + encodeURIComponent(id) +
      "&after=-" + MINUTES * 60 + "&format=json");
    const d = await r.json();
    // Oldest first, from the first row with a value: the chart spans what
    // is stored, not the whole window.
    const rows = d.data.slice().reverse();
    const start = rows.findIndex((r) => r.slice(1).some((v) => v !== null));
    if (start > 0) rows.splice(0, start);
    const cols = d.labels.map((_, i) => rows.map((row) => row[i]));
    let p = plots.get(id);
    if (!p || p.series.length !== d.labels.length) {
      p?.destroy();
      const div = el("div", { class: "chart", id: "chart-" + id });
      const old = document.getElementById("chart-" + id);
      if (old) old.replaceWith(div); else box.append(div);
      const c = all[id];
      p = new uPlot({
        title: c.title,
        width: 560,
        height: 220,
        series: [{}, ...d.labels.slice(1).map((l, i) => ({
          label: l,
          stroke: "hsl(" + (i * 67 % 360) + ",70%,45%)",
          width: 1.5,
        }))],
        axes: [{}, { label: c.units, size: 60 }],
      }, cols, div);
      plots.set(id, p);
    } else {
      p.setData(cols);
    }
  }
  box.dataset.drawn = String(plots.size);
  // How many values the charts show, for a test to see they have data.
  let points = 0;
  for (const p of plots.values()) {
    for (const s of p.data.slice(1)) points += s.filter((v) => v !== null).length;
  }
  box.dataset.points = String(points);
}
async function tick() {
  try {
    await status();
    await charts();
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent = String(e);
  }
}
tick();
setInterval(tick, 2000);
`;

/** The page's HTML. */
export const PAGE_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>skiff</title>
<link rel="stylesheet" href="uplot.min.css">
<style>
body { font: 14px system-ui, sans-serif; margin: 1em 2em; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 1.5em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
th { background: #f3f3f3; }
#charts { display: flex; flex-wrap: wrap; gap: 12px; }
.chart { border: 1px solid #ddd; padding: 4px; }
#error { color: #b00; }
</style>
</head>
<body>
<h1 id="title">skiff</h1>
<div id="error"></div>
<h2>Exporting</h2><div id="exporting"></div>
<h2>Hosts</h2><div id="hosts"></div>
<h2>Collectors</h2><div id="collectors"></div>
<h2>skiff's own charts, last 5 minutes</h2><div id="charts"></div>
<script src="uplot.min.js"></script>
<script>${SCRIPT}</script>
</body>
</html>
`;
