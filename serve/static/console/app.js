// LWMECPS Gym console: one page over the public /api/v1 routes only. The token lives in
// sessionStorage (this tab), never in localStorage or a cookie. Charts: Chart.js, bundled locally.
"use strict";

const API = "/api/v1";
const POLL_MS = 2000;
const state = { view: "training", taskId: null, modelId: null, modelsPage: 1, timer: null };
const charts = {};
window.lwmecpsCharts = charts; // read by the browser tests

const $ = (sel) => document.querySelector(sel);
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

class ApiError extends Error {
  constructor(status, detail) { super(typeof detail === "string" ? detail : JSON.stringify(detail)); this.status = status; }
}

async function api(path, options = {}) {
  const token = sessionStorage.getItem("lwmecps-token");
  const headers = { Authorization: `Bearer ${token}`, ...(options.body ? { "Content-Type": "application/json" } : {}) };
  const res = await fetch(API + path, { ...options, headers });
  if (res.status === 204) return null;
  const body = await res.json().catch(() => ({ detail: res.statusText }));
  if (!res.ok) throw new ApiError(res.status, body.detail);
  return body;
}

// multipart uploads: the browser sets the Content-Type with its boundary
async function apiForm(path, form) {
  const token = sessionStorage.getItem("lwmecps-token");
  const res = await fetch(API + path, { method: "POST", body: form, headers: { Authorization: `Bearer ${token}` } });
  const body = await res.json().catch(() => ({ detail: res.statusText }));
  if (!res.ok) throw new ApiError(res.status, body.detail);
  return body;
}

function flash(text, error = false) {
  const el = $("#flash");
  el.textContent = text;
  el.className = error ? "flash error" : "flash";
}

// ---- charts -------------------------------------------------------------------------------------
function lineChart(id, label, color) {
  if (charts[id]) return charts[id];
  charts[id] = new Chart(document.getElementById(id), {
    type: "line",
    data: { labels: [], datasets: [{ label, data: [], borderColor: color, backgroundColor: color, borderWidth: 2, tension: 0.2,
                                       // a few points (a short serving window) must show as dots
                                       pointRadius: (ctx) => (ctx.dataset.data.length < 40 ? 3 : 0) }] },
    options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: true } },
               scales: { x: { ticks: { maxTicksLimit: 8 } } } },
  });
  return charts[id];
}

function setSeries(id, label, color, labels, values) {
  const chart = lineChart(id, label, color);
  chart.data.labels = labels;
  chart.data.datasets[0].data = values;
  chart.update("none");
}

const shortTime = (iso) => iso.slice(11, 16);

// ---- login --------------------------------------------------------------------------------------
async function signIn(token) {
  sessionStorage.setItem("lwmecps-token", token);
  try {
    const health = await api("/health");
    $("#login").hidden = true;
    $("#app").hidden = false;
    $("#nav").hidden = false;
    $("#dashboard-link").href = health.dashboard_url || "#";
    await loadChoices();
    show("training");
  } catch (err) {
    sessionStorage.removeItem("lwmecps-token");
    $("#login-error").textContent = err.status === 401
      ? "This token is not valid: check it and try again." : `Cannot reach the API: ${err.message}`;
  }
}

async function loadChoices() {
  const [types, groups] = await Promise.all([api("/model-types"), api("/groups")]);
  $("#model-types").innerHTML = types.model_types.map((t) => `<option value="${esc(t.name)}" title="${esc(t.description)}">${esc(t.name)}</option>`).join("");
  document.querySelectorAll("select.groups").forEach((sel) => {
    sel.innerHTML = groups.groups.map((g) => `<option value="${esc(g.group_id)}" title="${esc(g.description)}">${esc(g.group_id)} (${g.node_count} nodes)</option>`).join("");
  });
}

// ---- views --------------------------------------------------------------------------------------
function show(view) {
  state.view = view;
  document.querySelectorAll(".view").forEach((el) => { el.hidden = el.id !== `view-${view}`; });
  document.querySelectorAll("#nav button[data-view]").forEach((b) => b.classList.toggle("active", b.dataset.view === view));
  clearInterval(state.timer);
  const refresh = { training: refreshTraining, models: refreshModels, autoscalers: refreshAutoscalers, system: refreshSystem }[view];
  const tick = () => refresh().catch((err) => flash(err.message, true));
  tick();
  state.timer = setInterval(tick, POLL_MS);
}

async function refreshTraining() {
  const list = await api("/training?per_page=20");
  $("#tasks tbody").innerHTML = list.tasks.map((t) => `
    <tr data-id="${t.task_id}" class="${t.task_id === state.taskId ? "selected" : ""}">
      <td><a href="#" class="open-task">${esc(t.name)}</a></td><td>${esc(t.model_type)}</td><td>${esc(t.group_id)}</td>
      <td class="status">${esc(t.status)}</td>
      <td><progress max="1" value="${t.progress}"></progress> ${t.current_episode}/${t.total_episodes}</td>
      <td>${["created", "queued", "running"].includes(t.status) ? '<button class="cancel">Cancel</button>' : ""}</td>
    </tr>`).join("");
  if (state.taskId) await refreshTask();
}

async function refreshTask() {
  const t = await api(`/training/${state.taskId}`);
  $("#task-detail").hidden = false;
  $("#task-title").textContent = `${t.name} (${t.model_type}, ${t.status}${t.error ? ": " + t.error : ""})`;
  $("#task-resources").textContent = resourcesLine(t);
  const m = t.metrics;
  const eps = m.episode_rewards.map((_, i) => i + 1);
  setSeries("chart-reward", "episode reward", "#2563eb", eps, m.episode_rewards);
  setSeries("chart-latency", "mean latency (s)", "#dc2626", eps, m.episode_latencies);
  setSeries("chart-steps", "episode length (steps)", "#059669", eps, m.episode_steps);
}

// "2 EnvRunners x 0.2 CPU on 2 nodes, 0 learners, 1.4 CPUs; 5120 env steps/s": what the task holds, where, how fast
function resourcesLine(t) {
  const r = t.resources;
  if (!r) return "resources: assigned when the task starts";
  const nodes = r.nodes ? new Set([r.nodes.actor, ...r.nodes.env_runners, ...r.nodes.learners].filter(Boolean).map((n) => n.node_id)).size : 0;
  return `${r.env_runners} EnvRunner${r.env_runners === 1 ? "" : "s"} x ${r.cpus_per_env_runner} CPU` +
    `${nodes ? ` on ${nodes} node${nodes === 1 ? "" : "s"}` : ""}, ${r.learners} learners, ${r.cpus} CPUs` +
    `${t.env_steps_per_s ? `; ${Math.round(t.env_steps_per_s)} env steps/s` : ""}`;
}

// the models table's metric columns, in the header's order (see index.html)
const MODEL_METRICS = ["accuracy", "vs_best_static", "vs_hpa_tuned", "latency"];

async function refreshModels() {
  const status = $("#model-status").value;
  const list = await api(`/models?page=${state.modelsPage}&per_page=10${status ? "&status=" + status : ""}`);
  $("#models-page").textContent = `${list.page} / ${Math.max(1, Math.ceil(list.total / list.per_page))}`;
  $("#models tbody").innerHTML = list.models.map((m) => `
    <tr data-id="${m.model_id}" data-name="${esc(m.name)}" class="${m.model_id === state.modelId ? "selected" : ""}">
      <td>${esc(m.name)}</td><td>${esc(m.type)}</td>
      <td class="status">${esc(m.status)}${m.deployment && m.status !== "deployed" && m.deployment.state !== "stopped" ? " (" + esc(m.deployment.state) + ")" : ""}</td>
      ${MODEL_METRICS.map((k) => `<td>${m.metrics[k] == null ? "" : m.metrics[k].toFixed(3)}</td>`).join("")}
      <td>${esc(m.created_at.slice(0, 19))}</td>
      <td>${m.status === "archived" ? "" : '<button class="deploy">Deploy</button>'}
          ${m.status === "deployed" ? '<button class="undeploy">Undeploy</button>' : ""}
          ${m.status === "trained" ? '<button class="archive">Archive</button>' : ""}
          <button class="metrics">Metrics</button> <button class="replay" data-group="${esc(m.group_id)}">Replay</button></td>
    </tr>`).join("");
  $("#models-prev").disabled = list.page <= 1;
  $("#models-next").disabled = list.page * list.per_page >= list.total;
  if (state.modelId) await refreshModelMetrics();
}

async function refreshModelMetrics() {
  const minutes = Number($("#metrics-window").value);
  const end = new Date();
  const start = new Date(end.getTime() - minutes * 60000);
  const q = `start_time=${start.toISOString()}&end_time=${end.toISOString()}&interval=${$("#metrics-interval").value}`;
  const m = (await api(`/models/${state.modelId}/metrics?${q}`)).metrics;
  $("#model-metrics").hidden = false;
  setSeries("chart-m-latency", "latency per predict (s)", "#dc2626", m.latency.timestamps.map(shortTime), m.latency.values);
  setSeries("chart-m-throughput", "predicts per second", "#2563eb", m.throughput.timestamps.map(shortTime), m.throughput.values);
  setSeries("chart-m-cpu", "CPU (share of request)", "#7c3aed", m.resource_usage.cpu.timestamps.map(shortTime), m.resource_usage.cpu.values);
  setSeries("chart-m-memory", "memory (share of request)", "#059669", m.resource_usage.memory.timestamps.map(shortTime), m.resource_usage.memory.values);
}

async function refreshSystem() {
  const [health, metrics] = await Promise.all([api("/health"), api("/metrics?interval=1m")]);
  $("#health tbody").innerHTML = [["status", health.status], ...Object.entries(health.components), ["version", health.version], ["uptime", health.uptime]]
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("");
  $("#training-stats tbody").innerHTML = Object.entries(metrics.training).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v ?? "-")}</td></tr>`).join("");
  const s = metrics.system;
  setSeries("chart-s-cpu", "machine CPU", "#7c3aed", s.cpu_usage.timestamps.map(shortTime), s.cpu_usage.values);
  setSeries("chart-s-memory", "machine memory", "#059669", s.memory_usage.timestamps.map(shortTime), s.memory_usage.values);
  $("#kubernetes").textContent = JSON.stringify(metrics.kubernetes, null, 1);
}

// ---- actions ------------------------------------------------------------------------------------
async function act(fn, done) {
  try {
    await fn();
    flash(done);
    show(state.view);
  } catch (err) {
    flash(err.message, true);
  }
}

function wire() {
  $("#login-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("#token").value.trim()); });
  $("#logout").addEventListener("click", () => { sessionStorage.removeItem("lwmecps-token"); location.reload(); });
  document.querySelectorAll("#nav button[data-view]").forEach((b) => b.addEventListener("click", () => show(b.dataset.view)));

  $("#train-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const parameters = f.get("learning_rate") ? { learning_rate: Number(f.get("learning_rate")) } : {};
    act(async () => {
      const created = await api("/training", { method: "POST", body: JSON.stringify({
        name: f.get("name"), model_type: f.get("model_type"), group_id: f.get("group_id"),
        total_episodes: Number(f.get("total_episodes")), parameters }) });
      state.taskId = created.task_id;
    }, "training started");
  });
  $("#group-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    for (const key of ["slot_s", "nodes", "latency_ms"]) if (!form.get(key)) form.delete(key);
    act(async () => {
      const made = await apiForm("/groups", form);
      await loadChoices();  // the pickers list it now
      e.target.reset();
      state.uploaded = made.group_id;
    }, "group uploaded");
  });
  $("#tasks").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-id]");
    if (!row) return;
    e.preventDefault();
    if (e.target.classList.contains("cancel")) {
      act(() => api(`/training/${row.dataset.id}/cancel`, { method: "POST" }), "training cancelled");
    } else if (e.target.classList.contains("open-task")) {
      state.taskId = row.dataset.id;
      refreshTraining().catch((err) => flash(err.message, true));
    }
  });
  $("#reconcile-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    $("#reconcile-result").textContent = "running...";
    api(`/training/${state.taskId}/reconcile?sample_size=${f.get("sample_size")}&group_id=${encodeURIComponent(f.get("group_id"))}`, { method: "POST" })
      .then((r) => { $("#reconcile-result").textContent = JSON.stringify(r.metrics, null, 1); })
      .catch((err) => { $("#reconcile-result").textContent = err.message; });
  });

  $("#model-status").addEventListener("change", () => { state.modelsPage = 1; refreshModels(); });
  $("#models-prev").addEventListener("click", () => { state.modelsPage -= 1; refreshModels(); });
  $("#models-next").addEventListener("click", () => { state.modelsPage += 1; refreshModels(); });
  $("#metrics-window").addEventListener("change", () => refreshModelMetrics());
  $("#metrics-interval").addEventListener("change", () => refreshModelMetrics());
  $("#models").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-id]");
    if (!row || e.target.tagName !== "BUTTON") return;
    const id = row.dataset.id;
    if (e.target.classList.contains("deploy")) {
      const form = $("#deploy-form");
      form.hidden = false;
      form.dataset.id = id;
      $("#deploy-title").textContent = row.dataset.name;
    } else if (e.target.classList.contains("undeploy")) {
      act(() => api(`/models/${id}/undeploy`, { method: "POST" }), "undeployed");
    } else if (e.target.classList.contains("archive")) {
      act(() => api(`/models/${id}/archive`, { method: "POST" }), "archived");
    } else if (e.target.classList.contains("replay")) {
      state.replayId = id;
      state.replayName = row.dataset.name;
      $("#model-replay").hidden = false;
      $("#replay-form").elements.group_id.value = e.target.dataset.group;
      runReplay($("#replay-form"));
    } else if (e.target.classList.contains("metrics")) {
      state.modelId = id;
      $("#model-metrics-title").textContent = `Serving metrics: ${row.dataset.name}`;
      refreshModels().catch((err) => flash(err.message, true));
    }
  });
  $("#replay-form").addEventListener("submit", (e) => { e.preventDefault(); runReplay(e.target); });
  $("#deployed-models").addEventListener("change", (e) => {
    const group = e.target.selectedOptions[0]?.dataset.group;
    if (group) $("#autoscaler-form").elements.group_id.value = group;
  });
  $("#autoscaler-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const guardrails = { slo: {} };
    const given = (key) => f.get(key) !== "" && f.get(key) !== null;
    for (const key of ["min_replicas", "max_replicas", "max_change_per_step"]) if (given(key)) guardrails[key] = Number(f.get(key));
    for (const [field, key] of [["slo_success_rate", "success_rate"], ["slo_p95_ms", "p95_latency_ms"]]) {
      if (given(field)) guardrails.slo[key] = Number(f.get(field));
    }
    act(async () => {
      const made = await api("/autoscalers", { method: "POST", body: JSON.stringify({
        model_id: f.get("model_id"), mode: f.get("mode"), guardrails,
        target: { kind: "simulated", group_id: f.get("group_id"), speed: Number(f.get("speed")) } }) });
      state.autoscalerId = made.autoscaler_id;
      state.autoscalerName = made.name || made.model_id;
    }, "autoscaler started");
  });
  $("#autoscalers").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-id]");
    if (!row) return;
    e.preventDefault();
    if (e.target.classList.contains("stop")) {
      act(() => api(`/autoscalers/${row.dataset.id}/stop`, { method: "POST" }), "autoscaler stopped");
    } else if (e.target.classList.contains("open-autoscaler")) {
      state.autoscalerId = row.dataset.id;
      state.autoscalerName = e.target.textContent;
      refreshAutoscalers().catch((err) => flash(err.message, true));
    }
  });
  $("#autoscaler-node").addEventListener("change", () => refreshAutoscaler().catch((err) => flash(err.message, true)));
  $("#replay-node").addEventListener("change", drawReplay);
  $("#deploy-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    act(() => api(`/models/${e.target.dataset.id}/deploy`, { method: "POST", body: JSON.stringify({
      replicas: Number(f.get("replicas")), resources: { cpu: f.get("cpu"), memory: f.get("memory") },
      strategy: f.get("strategy") }) }), "deploying");
  });
}

wire();
const saved = sessionStorage.getItem("lwmecps-token");
if (saved) signIn(saved);
