// tunasync-ts status page: enhances the server-rendered table. Filters,
// sorting and the language live in the page (state in the URL), updates come
// over /events (Server-Sent Events) with polling of /jobs as the fallback,
// and nothing runs while the tab is hidden. No framework, no other origin.
import * as v from './view.js';

const body = document.body;
const $ = (id) => document.getElementById(id);
const base = body.dataset.base || '';
const dict = JSON.parse($('i18n').textContent);
const data = JSON.parse($('page-data').textContent);
const skew = Number(body.dataset.now) - Date.now() / 1000;
const now = () => Math.floor(Date.now() / 1000 + skew);

let lang = localStorage.getItem('tunasync-lang') || body.dataset.lang;
if (!dict[lang]) lang = 'en';
let rows = data.rows.map((a) => ({
  name: a[0], worker: a[1], master: a[2] === 1, status: a[3], last: a[4], started: a[5], ended: a[6], next: a[7], upstream: a[8], size: a[9],
}));
let workers = data.workers;
let maintenance = data.maintenance;
let state = fromUrl();
let detailName = '';

function fromUrl() {
  const p = new URLSearchParams(location.search);
  return { q: p.get('q') || '', status: p.get('status') || '', sort: p.get('sort') || 'name' };
}

function go(push) {
  const url = `${location.pathname}${v.stateQuery(state)}`;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
  render();
}

let queued = false;
function render() {
  queued = false;
  const t = dict[lang];
  const shown = v.sortRows(v.filterRows(rows, state), state.sort);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t[el.dataset.i18n] || el.dataset.i18n;
  $('q').placeholder = t.filter_placeholder;
  $('counts').setAttribute('aria-label', t.counts);
  $('counts').innerHTML = v.countsHtml(rows, state, t);
  $('mirrors').tHead.innerHTML = v.headHtml(state, t);
  $('mirrors').tBodies[0].innerHTML = v.bodyHtml(shown, t, now(), v.sharedNames(rows));
  $('shown').textContent = `(${shown.length}/${rows.length})`;
  $('workers').innerHTML = v.workersHtml(workers, now(), t);
  const m = v.maintenanceHtml(maintenance, t);
  $('maintenance').innerHTML = m;
  $('maintenance').hidden = !m;
  const button = $('lang');
  button.textContent = t.switch_lang;
  button.lang = lang === 'zh' ? 'en' : 'zh-CN';
  button.setAttribute('aria-label', t.switch_lang_label);
  button.hidden = false;
  $('live').textContent = live ? `· ${t[live]}` : '';
}
function later() {
  if (!queued) {
    queued = true;
    requestAnimationFrame(render);
  }
}

// ---- controls
$('counts').addEventListener('click', (e) => {
  const a = e.target.closest('a[data-status]');
  if (!a) return;
  e.preventDefault();
  state = { ...state, status: a.dataset.status };
  go(true);
});
$('mirrors').tHead.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-sort]');
  if (!a) return;
  e.preventDefault();
  state = { ...state, sort: a.dataset.sort };
  go(true);
});
$('filter').addEventListener('submit', (e) => e.preventDefault());
$('q').addEventListener('input', () => {
  state = { ...state, q: $('q').value };
  go(false);
});
addEventListener('popstate', () => {
  state = fromUrl();
  $('q').value = state.q;
  render();
});
$('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('tunasync-lang', lang);
  document.cookie = `tunasync_lang=${lang}; path=${base || '/'}; max-age=31536000; SameSite=Lax`;
  render();
  if (detailName) openDetail(detailName);
});

// ---- detail panel
$('mirrors').tBodies[0].addEventListener('click', (e) => {
  const b = e.target.closest('button.open');
  if (b) openDetail(b.dataset.name);
});
$('detail-close').addEventListener('click', closeDetail);
addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && detailName) closeDetail();
});
function closeDetail() {
  detailName = '';
  $('detail').hidden = true;
}
const fmtBytes = (n) => {
  if (n === null || n === undefined) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${u[i]}`;
};
async function openDetail(name) {
  const t = dict[lang];
  detailName = name;
  const enc = encodeURIComponent(name);
  $('detail-title').textContent = v.fill(t.details, { name });
  $('detail-runs').textContent = '…';
  $('detail-log').hidden = true;
  $('detail').hidden = false;
  $('detail').focus();
  try {
    const res = await fetch(`${base}/jobs/${enc}/history?limit=10`, { headers: { accept: 'application/json' } });
    const runs = res.ok ? await res.json() : [];
    if (detailName !== name) return;
    if (runs.length === 0) {
      $('detail-runs').textContent = t.no_runs;
    } else {
      let html = `<table class="runs"><thead><tr><th scope="col">${v.esc(t.run_started)}</th><th scope="col">${v.esc(t.run_result)}</th><th scope="col">${v.esc(t.run_duration)}</th><th scope="col">${v.esc(t.run_bytes)}</th><th scope="col">${v.esc(t.run_trigger)}</th><th scope="col">${v.esc(t.col_worker)}</th></tr></thead><tbody>`;
      for (const r of runs) {
        const started = Date.parse(r.started_at) / 1000;
        const result = r.result || 'syncing';
        html += `<tr><td><time datetime="${v.esc(r.started_at)}" title="${v.esc(v.absolute(started))}">${v.esc(v.relative(started, now(), t))}</time></td>` +
          `<td><span class="badge b-${v.esc(result)}">${v.esc(t[`status_${result}`] || result)}</span></td>` +
          `<td>${r.duration_s === null ? '' : v.esc(v.span(r.duration_s, t))}</td><td>${v.esc(fmtBytes(r.transferred_bytes))}</td>` +
          `<td>${v.esc(r.trigger || '')}</td><td>${v.esc(r.worker || '')}</td></tr>`;
      }
      $('detail-runs').innerHTML = `${html}</tbody></table>`;
    }
  } catch {
    if (detailName === name) $('detail-runs').textContent = t.no_runs;
  }
  try {
    // Shown only where this viewer may read logs (the route answers 200).
    const res = await fetch(`${base}/jobs/${enc}/log?tail=50`);
    if (detailName !== name || res.status !== 200) return;
    $('detail-log-text').textContent = await res.text();
    $('detail-log-follow').href = `${base}/jobs/${enc}/log/stream`;
    $('detail-log').hidden = false;
  } catch {
    // no log for this viewer
  }
}

// ---- live updates
let live = '';
let source = null;
let pollTimer = 0;
let tickTimer = 0;

function applyJob(job) {
  const i = rows.findIndex((r) => r.name === job.name && r.master === (job.is_master !== false));
  const j = i >= 0 ? i : rows.findIndex((r) => r.name === job.name);
  const row = v.rowFromJob(job, j >= 0 ? rows[j].worker : '');
  if (j >= 0) rows[j] = row;
  else rows.push(row);
  later();
}
function applyWorker(w) {
  workers = workers.filter((x) => x.id !== w.id);
  if (!w.removed) workers.push({ id: w.id, seen: Math.floor(Date.parse(w.last_online) / 1000) || 0 });
  later();
}
async function refresh() {
  const res = await fetch(`${base}/jobs`, { headers: { accept: 'application/json' } });
  if (!res.ok) return;
  const jobs = await res.json();
  const pool = rows.slice();
  rows = jobs.map((job) => {
    const i = pool.findIndex((r) => r.name === job.name && r.master === (job.is_master !== false));
    const worker = i >= 0 ? pool.splice(i, 1)[0].worker : '';
    return v.rowFromJob(job, worker);
  });
  const wres = await fetch(`${base}/workers`).catch(() => null);
  if (wres && wres.ok) workers = (await wres.json()).map((w) => ({ id: w.id, seen: Math.floor(Date.parse(w.last_online) / 1000) || 0 }));
  const mres = await fetch(`${base}/maintenance`).catch(() => null);
  if (mres && mres.status === 200) maintenance = await mres.json().catch(() => maintenance);
  later();
}
function pollMs() {
  return Number(body.dataset.pollMs) || 10000;
}
function startPolling() {
  if (pollTimer || document.hidden) return;
  live = 'polling';
  later();
  const step = async () => {
    try {
      await refresh();
    } catch {
      // next time
    }
    if (pollTimer) pollTimer = setTimeout(step, pollMs());
  };
  pollTimer = setTimeout(step, pollMs());
}
function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = 0;
}
function startLive() {
  if (document.hidden) return;
  tickTimer = tickTimer || setInterval(later, 30000);
  if (!('EventSource' in window)) return startPolling();
  source = new EventSource(`${base}/events`);
  source.addEventListener('open', () => {
    stopPolling();
    live = 'live';
    later();
  });
  source.addEventListener('job', (e) => applyJob(JSON.parse(e.data)));
  source.addEventListener('worker', (e) => applyWorker(JSON.parse(e.data)));
  source.addEventListener('maintenance', (e) => {
    maintenance = JSON.parse(e.data);
    later();
  });
  source.addEventListener('resync', () => refresh().catch(() => undefined));
  source.addEventListener('error', () => startPolling());
}
function stopLive() {
  if (source) source.close();
  source = null;
  stopPolling();
  clearInterval(tickTimer);
  tickTimer = 0;
  live = 'paused_hidden';
}
document.addEventListener('visibilitychange', () => {
  if (document.hidden) return stopLive();
  refresh().catch(() => undefined);
  startLive();
});

render();
startLive();
