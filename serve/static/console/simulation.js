// LWMECPS Gym console: a model's replayed day and the autoscalers' live charts (loaded before app.js,
// which wires their forms; api, esc, $, state, charts and flash are app.js's).
"use strict";

// ---- replay: the model's day beside baselines (GET /models/{id}/replay) --------------------------
const RUN_COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#be185d", "#4b5563"];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

function multiChart(id, labels, datasets, scales) {
  if (charts[id]) charts[id].destroy();
  charts[id] = new Chart(document.getElementById(id), {
    type: "line", data: { labels, datasets },
    options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: true } },
               scales: { x: { ticks: { maxTicksLimit: 8 } }, ...scales } },
  });
  return charts[id];
}

const hourLabel = (h) => `${String(Math.floor(h)).padStart(2, "0")}:${String(Math.round((h % 1) * 60)).padStart(2, "0")}`;

function drawReplay() {
  const r = state.replay;
  if (!r) return;
  const j = Number($("#replay-node").value || 0);
  const names = Object.keys(r.policies);
  const labels = r.time_h.map(hourLabel);
  const style = (name, i) => ({ label: name, borderColor: RUN_COLORS[i % RUN_COLORS.length], backgroundColor: RUN_COLORS[i % RUN_COLORS.length],
                                borderWidth: name === "model" ? 2.5 : 1.5, pointRadius: 0, stepped: true });
  multiChart("chart-r-replicas", labels, [
    ...names.map((name, i) => ({ ...style(name, i), data: r.policies[name].replicas.map((row) => row[j]), yAxisID: "y" })),
    { label: `load of ${r.nodes[j]} (model's run)`, data: r.load.map((row) => row[j]), borderColor: "#9ca3af",
      backgroundColor: "#9ca3af", borderDash: [4, 3], borderWidth: 1.5, pointRadius: 0, yAxisID: "load" },
  ], { y: { title: { display: true, text: `replicas on ${r.nodes[j]}` }, min: 0, ticks: { stepSize: 1 } },
       load: { position: "right", min: 0, title: { display: true, text: "load (1 = node capacity)" }, grid: { drawOnChartArea: false } } });
  multiChart("chart-r-cost", labels, names.map((name, i) => ({ ...style(name, i), stepped: false, data: r.policies[name].cost })),
             { y: { title: { display: true, text: "cost per interval" }, min: 0 } });
  const base = r.policies.model.total_cost;
  $("#replay-totals tbody").innerHTML = names.map((name) => {
    const run = r.policies[name];
    const replicas = mean(run.replicas.map((row) => row.reduce((a, b) => a + b, 0)));
    return `<tr data-run="${esc(name)}"><td>${esc(name)}</td><td>${run.total_cost.toFixed(2)}</td><td>${run.mean_cost.toFixed(3)}</td>
      <td>${(run.total_cost / base).toFixed(3)}</td><td>${mean(run.latency_ms).toFixed(1)}</td><td>${replicas.toFixed(2)}</td></tr>`;
  }).join("");
}

async function runReplay(form) {
  const f = new FormData(form);
  const q = `group_id=${encodeURIComponent(f.get("group_id"))}&seed=${Number(f.get("seed"))}&baselines=${encodeURIComponent(f.get("baselines"))}`;
  $("#model-replay-title").textContent = `Replay: ${state.replayName} on ${f.get("group_id")}, day ${f.get("seed")} (running...)`;
  try {
    state.replay = await api(`/models/${state.replayId}/replay?${q}`);
    $("#replay-node").innerHTML = state.replay.nodes.map((n, i) => `<option value="${i}">${esc(n)}</option>`).join("");
    $("#model-replay-title").textContent = `Replay: ${state.replayName} on ${state.replay.group_id}, day ${state.replay.seed}`;
    drawReplay();
  } catch (err) {
    $("#model-replay-title").textContent = `Replay: ${state.replayName}`;
    flash(err.message, true);
  }
}

// ---- autoscalers: live charts of a policy running (or shadowing HPA on) the simulated twin -------
const fixed = (v, d = 3) => (v == null ? "" : Number(v).toFixed(d));

async function refreshAutoscalers() {
  const [list, models] = await Promise.all([api("/autoscalers?per_page=20"), api("/models?status=deployed&per_page=100")]);
  const picker = $("#deployed-models");
  const chosen = picker.value;
  picker.innerHTML = models.models.map((m) => `<option value="${m.model_id}" data-group="${esc(m.group_id)}">${esc(m.name)} (${esc(m.type)})</option>`).join("");
  if (chosen) picker.value = chosen;
  $("#autoscalers tbody").innerHTML = list.autoscalers.map((a) => `
    <tr data-id="${a.autoscaler_id}" class="${a.autoscaler_id === state.autoscalerId ? "selected" : ""}">
      <td><a href="#" class="open-autoscaler">${esc(a.name || a.model_id)}</a></td><td>${esc(a.mode)}</td><td>${esc(a.target.group_id)}</td>
      <td class="status">${esc(a.status)}${a.error ? ": " + esc(a.error) : ""}</td><td class="steps">${a.summary.decisions}</td>
      <td>${fixed(a.summary.cost_so_far, 2)}</td><td>${fixed(a.summary.hpa_cost_so_far, 2)}</td><td class="saving">${fixed(a.summary.saving)}</td>
      <td>${a.summary.fallbacks}</td><td>${a.status === "running" ? '<button class="stop">Stop</button>' : ""}</td>
    </tr>`).join("");
  if (state.autoscalerId) await refreshAutoscaler();
}

// decisions the policy did not apply as proposed are marked on the replicas chart
const EVENT_STYLE = { fallback: ["#dc2626", "triangle"], guardrail: ["#d97706", "rectRot"] };

async function refreshAutoscaler() {
  // the latest 1000-2000 decisions: the last two pages of 1000 (the count comes from the small
  // autoscaler document, so a poll reads no decision it does not draw)
  const PAGE = 1000;
  const base = `/autoscalers/${state.autoscalerId}`;
  const s = (await api(base)).summary;
  const last = Math.max(1, Math.ceil(s.decisions / PAGE));
  const pages = last > 1 ? [last - 1, last] : [1];
  const rows = [];
  for (const page of pages) rows.push(...(await api(`${base}/decisions?per_page=${PAGE}&page=${page}`)).decisions);
  $("#autoscaler-detail").hidden = false;
  $("#autoscaler-title").textContent = `${state.autoscalerName}: ${s.decisions} decisions, cost ${fixed(s.cost_so_far, 2)} vs HPA's ${fixed(s.hpa_cost_so_far, 2)}` +
    `${s.saving == null ? "" : ` (saving ${(100 * s.saving).toFixed(1)} %)`}, ${s.fallbacks} fallbacks, ${s.slo_breaches} SLO breaches`;
  if (!rows.length) return;
  const nodeSel = $("#autoscaler-node");
  if (nodeSel.options.length !== rows[0].applied_replicas.length) {
    nodeSel.innerHTML = rows[0].applied_replicas.map((_, i) => `<option value="${i}">node ${i + 1}</option>`).join("");
  }
  const j = Number(nodeSel.value || 0);
  const labels = rows.map((r) => String(r.step));
  const line = (label, color, data, extra = {}) => ({ label, data, borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: 0, stepped: true, ...extra });
  const events = Object.entries(EVENT_STYLE).map(([reason, [color, shape]]) => ({
    label: reason, type: "scatter", data: rows.map((r) => (r.source === reason ? r.applied_replicas[j] : null)),
    borderColor: color, backgroundColor: color, pointStyle: shape, pointRadius: 6, showLine: false }));
  multiChart("chart-a-replicas", labels, [
    line("applied", "#2563eb", rows.map((r) => r.applied_replicas[j])),
    line("policy", "#7c3aed", rows.map((r) => r.policy_replicas[j]), { borderDash: [5, 3], borderWidth: 1.5 }),
    line("HPA", "#059669", rows.map((r) => r.hpa_replicas[j]), { borderWidth: 1.5 }),
    ...events,
  ], { y: { title: { display: true, text: `replicas on node ${j + 1}` }, min: 0, ticks: { stepSize: 1 } } });
  multiChart("chart-a-load", labels, [line(`load of node ${j + 1}`, "#9ca3af", rows.map((r) => r.outcome.load[j]), { stepped: false })],
             { y: { title: { display: true, text: "load (1 = node capacity)" }, min: 0 } });
  let mine = 0, theirs = 0;
  const cum = rows.map((r) => [(mine += r.cost), (theirs += r.hpa_outcome ? r.hpa_outcome.cost : 0)]);
  multiChart("chart-a-cost", labels, [line("cost so far", "#2563eb", cum.map((c) => c[0]), { stepped: false }),
                                      line("HPA's (twin)", "#059669", cum.map((c) => c[1]), { stepped: false })],
             { y: { title: { display: true, text: "cost so far" }, min: 0 } });
  multiChart("chart-a-latency", labels, [line("latency (ms)", "#dc2626", rows.map((r) => r.latency_ms), { stepped: false }),
                                         line("HPA's (twin)", "#059669", rows.map((r) => (r.hpa_outcome ? r.hpa_outcome.latency_ms : null)), { stepped: false, borderWidth: 1.5 })],
             { y: { title: { display: true, text: "mean latency (ms)" }, min: 0 } });
}

