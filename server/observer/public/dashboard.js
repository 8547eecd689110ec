/* global document, fetch, setInterval */
// The observer dashboard: polls /api/status and draws the charts as SVG.
// No third-party code, no inline script; text goes through textContent only.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#1d3557", "#e76f51", "#2a9d8f", "#e9c46a", "#8d5fd3", "#f4a261", "#457b9d", "#6a994e"];
const CHECK_LABELS = {
  manifest: "manifest hash",
  ceremony: "key ceremony",
  registrarKeys: "registrar keys",
  runningHash: "running hash",
  ballots: "ballots",
  issuance: "issuance journal",
  decryptionShares: "decryption shares",
  result: "result",
};

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function card(label, value) {
  const box = el("div", { class: "card" });
  box.append(el("div", { class: "value" }, value), el("div", { class: "label" }, label));
  return box;
}

const sum = (values) => values.reduce((a, b) => a + b, 0);
const styleName = (status, style) => {
  const found = status.styles.find((s) => s.style === style);
  return found ? `${style} ${found.id}` : style === null ? "unreadable" : String(style);
};

/** Cumulative voters per style over time, one line per style. */
function drawTurnout(container, status) {
  clear(container);
  const width = 900;
  const height = 260;
  const pad = { left: 50, right: 160, top: 10, bottom: 30 };
  const { bucketSeconds, voters } = status.series;
  const styles = [...new Set(voters.map((p) => p.style))];
  if (voters.length === 0) {
    container.append(el("p", {}, "no ballot recorded yet"));
    return;
  }
  const start = Math.min(status.window.opensAt, ...voters.map((p) => p.bucket));
  const end = Math.max(
    start + bucketSeconds,
    Math.min(status.window.closesAt, status.sync.lastBlockTime || start),
    ...voters.map((p) => p.bucket + bucketSeconds),
  );
  const lines = styles.map((style) => {
    let total = 0;
    const points = [[start, 0]];
    for (const p of voters.filter((v) => v.style === style)) {
      total += p.n;
      points.push([p.bucket + bucketSeconds, total]);
    }
    return { style, points, total };
  });
  const maxY = Math.max(1, ...lines.map((l) => l.total));
  const x = (t) => pad.left + ((t - start) / (end - start)) * (width - pad.left - pad.right);
  const y = (v) => height - pad.bottom - (v / maxY) * (height - pad.top - pad.bottom);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}` });
  chart.append(svg("line", { x1: pad.left, y1: y(0), x2: width - pad.right, y2: y(0), stroke: "#999" }));
  chart.append(svg("line", { x1: pad.left, y1: y(0), x2: pad.left, y2: pad.top, stroke: "#999" }));
  chart.append(svg("text", { x: pad.left - 6, y: y(maxY) + 4, "text-anchor": "end", "font-size": 11 }, maxY));
  chart.append(svg("text", { x: pad.left - 6, y: y(0) + 4, "text-anchor": "end", "font-size": 11 }, 0));
  chart.append(
    svg(
      "text",
      { x: pad.left, y: height - 8, "font-size": 11 },
      new Date(start * 1000).toISOString().slice(0, 16),
    ),
  );
  chart.append(
    svg(
      "text",
      { x: width - pad.right, y: height - 8, "text-anchor": "end", "font-size": 11 },
      new Date(end * 1000).toISOString().slice(0, 16),
    ),
  );
  lines.forEach((line, i) => {
    const color = COLORS[i % COLORS.length];
    const d = line.points
      .map(([t, v], j) => `${j === 0 ? "M" : "L"}${x(t).toFixed(1)},${y(v).toFixed(1)}`)
      .join(" ");
    chart.append(svg("path", { d, fill: "none", stroke: color, "stroke-width": 2 }));
    chart.append(
      svg("rect", { x: width - pad.right + 12, y: pad.top + i * 18, width: 10, height: 10, fill: color }),
    );
    chart.append(
      svg(
        "text",
        { x: width - pad.right + 28, y: pad.top + 9 + i * 18, "font-size": 12 },
        `${styleName(status, line.style)}: ${line.total}`,
      ),
    );
  });
  container.append(chart);
}

/** Horizontal bars: one group per row, one bar per series. */
function drawBars(container, rows, series) {
  clear(container);
  if (rows.length === 0) {
    container.append(el("p", {}, "nothing to show yet"));
    return;
  }
  const width = 900;
  const barHeight = 14;
  const labelWidth = 220;
  const groupHeight = series.length * (barHeight + 2) + 10;
  const height = rows.length * groupHeight + 24;
  const max = Math.max(1, ...rows.flatMap((r) => series.map((s) => r.values[s.key] || 0)));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}` });
  rows.forEach((row, i) => {
    const top = i * groupHeight;
    chart.append(
      svg(
        "text",
        { x: labelWidth - 8, y: top + groupHeight / 2, "text-anchor": "end", "font-size": 12 },
        row.label,
      ),
    );
    series.forEach((s, j) => {
      const value = row.values[s.key] || 0;
      const w = (value / max) * (width - labelWidth - 200);
      const yTop = top + j * (barHeight + 2);
      chart.append(
        svg("rect", { x: labelWidth, y: yTop, width: Math.max(w, 1), height: barHeight, fill: s.color }),
      );
      chart.append(
        svg(
          "text",
          { x: labelWidth + w + 4, y: yTop + barHeight - 3, "font-size": 11 },
          `${value} ${s.label}`,
        ),
      );
    });
  });
  series.forEach((s, j) => {
    chart.append(
      svg("rect", { x: labelWidth + j * 150, y: height - 14, width: 10, height: 10, fill: s.color }),
    );
    chart.append(svg("text", { x: labelWidth + 14 + j * 150, y: height - 5, "font-size": 11 }, s.label));
  });
  container.append(chart);
}

function render(status) {
  const report = status.report;
  document.getElementById("election").textContent =
    `election ${status.election} · chain ${status.chainId} · block ${status.sync.lastBlock} (head ${status.sync.confirmedHead}, ${status.sync.confirmations} confirmations) · stage ${report.stage}`;
  const verdict = document.getElementById("verdict");
  const faults = report.findings.filter((f) => f.severity === "fault").length;
  verdict.textContent = report.holds ? "every check holds" : `VERIFICATION FAILED: ${faults} faults`;
  verdict.className = `verdict ${report.holds ? "holds" : "fails"}`;

  const b = report.ballots;
  const cards = document.getElementById("cards");
  clear(cards);
  cards.append(
    card("credentials issued", sum(report.styles.map((s) => s.issued))),
    card("voters", sum(report.styles.map((s) => s.voters))),
    card("ballots recorded", b.recorded),
    card("counted", b.counted),
    card("superseded", b.superseded),
    card("re-votes", b.revotes),
    card("excluded", sum(Object.values(b.excluded))),
    card("refused by the contract", sum(Object.values(b.rejectedByContract))),
    card("ballots unchecked", status.sync.ballotsUnchecked),
  );

  const checks = document.getElementById("checks");
  clear(checks);
  for (const [name, label] of Object.entries(CHECK_LABELS)) {
    const state = report.checks[name];
    checks.append(el("li", { class: `status-${state}` }, `${label}: ${state}`));
  }

  drawTurnout(document.getElementById("turnout"), status);
  drawBars(
    document.getElementById("issued"),
    report.styles.map((s) => ({
      label: `${s.style} ${s.id}`,
      values: { issued: s.issued, voters: s.voters, recorded: s.recorded, counted: s.counted },
    })),
    [
      { key: "issued", label: "issued", color: COLORS[0] },
      { key: "voters", label: "voters", color: COLORS[2] },
      { key: "recorded", label: "ballots (with re-votes)", color: COLORS[3] },
      { key: "counted", label: "counted", color: COLORS[1] },
    ],
  );
  drawBars(
    document.getElementById("rejected"),
    [
      ...Object.entries(b.rejectedByContract).map(([reason, n]) => ({
        label: `contract: ${reason}`,
        values: { n },
      })),
      ...Object.entries(b.excluded).map(([code, n]) => ({ label: `excluded: ${code}`, values: { n } })),
      ...(b.superseded > 0 ? [{ label: "superseded by a re-vote", values: { n: b.superseded } }] : []),
    ],
    [{ key: "n", label: "ballots", color: COLORS[1] }],
  );

  const tally = document.getElementById("tally");
  clear(tally);
  if (report.tally === null) tally.append(el("p", {}, "computed once voting has closed"));
  else {
    tally.append(el("p", { class: "mono" }, `tally hash ${report.tally.hash}`));
    const own = report.result.own;
    if (own !== null) {
      const table = el("table");
      const head = el("tr");
      head.append(el("th", {}, "contest"), el("th", {}, "option"), el("th", {}, "count"));
      table.append(head);
      for (const [contest, options] of Object.entries(own))
        for (const [option, count] of Object.entries(options)) {
          const row = el("tr");
          row.append(el("td", {}, contest), el("td", {}, option), el("td", {}, count));
          table.append(row);
        }
      tally.append(table);
    }
    if (report.result.published !== null)
      tally.append(
        el(
          "p",
          { class: report.result.matches ? "" : "fault" },
          report.result.matches ? "the published result matches" : "the published result does NOT match",
        ),
      );
    if (status.attestation)
      tally.append(
        el(
          "p",
          { class: "mono" },
          `attestation by ${status.attestation.signer}: ${status.attestation.onChain}${status.attestation.transactionHash ? ` (${status.attestation.transactionHash})` : ""}`,
        ),
      );
  }

  const body = document.querySelector("#findings tbody");
  clear(body);
  for (const f of report.findings) {
    const row = el("tr");
    row.append(
      el("td", { class: f.severity }, f.severity),
      el("td", {}, f.kind),
      el("td", {}, f.code),
      el("td", { class: "mono" }, f.subject),
      el("td", {}, f.reason),
    );
    body.append(row);
  }
  document.getElementById("updated").textContent = `updated ${new Date().toISOString()}`;
}

async function refresh() {
  try {
    const response = await fetch("/api/status", { cache: "no-store" });
    if (!response.ok) throw new Error(`status ${response.status}`);
    render(await response.json());
  } catch (error) {
    document.getElementById("updated").textContent = `cannot load the status: ${error.message}`;
  }
}

refresh();
setInterval(refresh, 5000);
