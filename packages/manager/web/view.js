// The status page's view: rows from /jobs entries, filtering, sorting and
// the HTML of the table body. One file used twice: the manager imports it to
// render the first response, the browser imports it to re-render on updates,
// so both always agree. Everything from the data is escaped here.

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const SPECIAL = /[&<>"']/;
const entity = (c) => ENTITIES[c];

/** HTML-escapes text (also for attribute values). */
export function esc(s) {
  const text = String(s);
  return SPECIAL.test(text) ? text.replace(/[&<>"']/g, entity) : text;
}

/** Fills `{name}` placeholders of a dictionary text. */
export function fill(text, values) {
  return String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

/** Statuses in the order the counts show them. */
export const STATUSES = ['success', 'syncing', 'pre-syncing', 'failed', 'paused', 'disabled', 'none'];

/** Sort keys of the columns. */
export const SORT_KEYS = ['name', 'status', 'last', 'attempt', 'next', 'duration', 'size', 'upstream', 'worker'];

const positive = (n) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

const UNITS = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5, E: 1024 ** 6 };

/** Bytes of a size text like `1.2G`, `500 MiB`, `3T`; -1 when unknown. */
export function parseSize(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGTPE]?)(?:i?B)?\s*$/i.exec(String(text || ''));
  if (!m) return -1;
  return Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()]);
}

/** A row of the table from a `/jobs` entry (`worker` from elsewhere: `/jobs` does not name it). */
export function rowFromJob(job, worker) {
  return {
    name: String(job.name),
    worker: worker || '',
    master: job.is_master !== false,
    status: String(job.status),
    last: positive(job.last_update_ts),
    started: positive(job.last_started_ts),
    ended: positive(job.last_ended_ts),
    next: positive(job.next_schedule_ts),
    upstream: String(job.upstream || ''),
    size: String(job.size || ''),
  };
}

/** Seconds of the last run when it is over, else -1. */
export function duration(r) {
  if (r.status === 'syncing' || r.status === 'pre-syncing') return -1;
  return r.started > 0 && r.ended >= r.started ? r.ended - r.started : -1;
}

/** Stale: not synced for over 6 h past its planned run, or no success for 7 days (disabled and paused mirrors never). */
export function isStale(r, now) {
  if (r.status === 'disabled' || r.status === 'paused') return false;
  if (r.next > 0 && now - r.next > 6 * 3600 && r.status !== 'syncing') return true;
  return r.last > 0 && now - r.last > 7 * 86400;
}

/** Filters by text (name or upstream, case-insensitive) and status. */
export function filterRows(rows, state) {
  const q = String(state.q || '').trim().toLowerCase();
  return rows.filter(
    (r) =>
      (!state.status || r.status === state.status || (state.status === 'syncing' && r.status === 'pre-syncing')) &&
      (!q || r.name.toLowerCase().includes(q) || r.upstream.toLowerCase().includes(q)),
  );
}

const sortValue = {
  name: (r) => r.name.toLowerCase(),
  status: (r) => STATUSES.indexOf(r.status),
  last: (r) => r.last,
  attempt: (r) => r.ended,
  next: (r) => r.next,
  duration: (r) => duration(r),
  size: (r) => parseSize(r.size),
  upstream: (r) => r.upstream.toLowerCase(),
  worker: (r) => r.worker.toLowerCase(),
};

/** Parses a sort parameter (`size`, `-last`): key and direction; unknown keys sort by name. */
export function parseSort(text) {
  const s = String(text || 'name');
  const desc = s.startsWith('-');
  const key = desc ? s.slice(1) : s;
  return SORT_KEYS.includes(key) ? { key, desc } : { key: 'name', desc: false };
}

/** Sorts a copy of the rows (ties by name, then worker); each row's key is computed once. */
export function sortRows(rows, sort) {
  const { key, desc } = parseSort(sort);
  const v = sortValue[key];
  const dir = desc ? -1 : 1;
  const keyed = rows.map((r) => ({ r, k: v(r) }));
  keyed.sort((a, b) => {
    if (a.k < b.k) return -dir;
    if (a.k > b.k) return dir;
    const x = a.r;
    const y = b.r;
    return x.name < y.name ? -1 : x.name > y.name ? 1 : x.worker < y.worker ? -1 : x.worker > y.worker ? 1 : 0;
  });
  return keyed.map((e) => e.r);
}

/** Rows per status. */
export function countRows(rows) {
  const out = {};
  for (const s of STATUSES) out[s] = 0;
  for (const r of rows) out[r.status] = (out[r.status] || 0) + 1;
  return out;
}

/** `1 h 5 min`-like text of a number of seconds. */
export function span(sec, t) {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s} ${t.unit_s}`;
  if (s < 3600) return `${Math.round(s / 60)} ${t.unit_m}`;
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.round((s % 3600) / 60);
    return m ? `${h} ${t.unit_h} ${m} ${t.unit_m}` : `${h} ${t.unit_h}`;
  }
  return `${Math.round(s / 86400)} ${t.unit_d}`;
}

/** `5 min ago` / `in 5 min`. */
export function relative(sec, now, t) {
  const d = now - sec;
  if (Math.abs(d) < 30) return t.just_now;
  // A plain string replace: this runs several times per row.
  return d > 0 ? t.ago.replace('{n}', span(d, t)) : t.in.replace('{n}', span(-d, t));
}

/** Absolute time text (UTC) for hover. */
export function absolute(sec) {
  return `${new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function time(sec, now, t) {
  if (!sec) return esc(t.never);
  const iso = new Date(sec * 1000).toISOString();
  return `<time datetime="${iso}" title="${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC">${esc(relative(sec, now, t))}</time>`;
}

/** Names that more than one worker has (those rows get a master/slave marker). */
export function sharedNames(rows) {
  const seen = new Set();
  const shared = new Set();
  for (const r of rows) (seen.has(r.name) ? shared : seen).add(r.name);
  return shared;
}

/** The `<tr>` of one row. */
export function rowHtml(r, t, now, shared) {
  const syncing = r.status === 'syncing' || r.status === 'pre-syncing';
  const attempt = r.ended && r.ended !== r.last ? time(r.ended, now, t) : '';
  const next = syncing ? (r.started ? esc(t.started.replace('{t}', relative(r.started, now, t))) : '') : r.next ? time(r.next, now, t) : '';
  const d = duration(r);
  const stale = isStale(r, now) ? ` <span class="stale">${esc(t.stale)}</span>` : '';
  const role = shared && shared.has(r.name) ? ` <span class="role">${esc(r.master ? t.master : t.slave)}</span>` : '';
  const label = t[`status_${r.status}`] || r.status;
  return (
    `<tr class="st-${esc(r.status)}" data-name="${esc(r.name)}" data-worker="${esc(r.worker)}" data-master="${r.master ? 1 : 0}">` +
    `<th scope="row"><button type="button" class="open" data-name="${esc(r.name)}">${esc(r.name)}</button></th>` +
    `<td><span class="badge b-${esc(r.status)}">${esc(label)}</span>${stale}</td>` +
    `<td>${time(r.last, now, t)}</td>` +
    `<td>${attempt}</td>` +
    `<td>${next}</td>` +
    `<td>${d >= 0 ? esc(span(d, t)) : ''}</td>` +
    `<td class="num">${esc(r.size && r.size !== 'unknown' ? r.size : '')}</td>` +
    `<td class="up">${esc(r.upstream)}</td>` +
    `<td>${esc(r.worker)}${role}</td>` +
    `</tr>`
  );
}

/** The table body for rows already filtered and sorted (`from`/`to`: a slice of them, for streaming). */
export function bodyHtml(rows, t, now, shared, from = 0, to = rows.length) {
  if (rows.length === 0) return `<tr><td colspan="9" class="empty">${esc(t.no_rows)}</td></tr>`;
  let out = '';
  for (let i = from; i < to && i < rows.length; i++) out += rowHtml(rows[i], t, now, shared);
  return out;
}

/** The query string of a view state (`?q=deb&status=failed&sort=size`), empty for the default view. */
export function stateQuery(state) {
  const p = new URLSearchParams();
  if (state.q) p.set('q', state.q);
  if (state.status) p.set('status', state.status);
  if (state.sort && state.sort !== 'name') p.set('sort', state.sort);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The status filters with their counts (links, so they work without JavaScript). */
export function countsHtml(rows, state, t) {
  const counts = countRows(rows);
  const link = (status, label, n) => {
    const on = (state.status || '') === status;
    const q = stateQuery({ ...state, status });
    return `<a href="${esc(q || '?')}" class="count c-${esc(status || 'all')}${on ? ' on' : ''}" data-status="${esc(status)}"${on ? ' aria-current="true"' : ''}>${esc(label)} <b>${n}</b></a>`;
  };
  let out = link('', t.all, rows.length);
  for (const s of STATUSES) if (counts[s] > 0 || state.status === s) out += link(s, t[`status_${s}`] || s, counts[s]);
  return out;
}

const COLUMNS = [
  ['name', 'col_name'],
  ['status', 'col_status'],
  ['last', 'col_last'],
  ['attempt', 'col_attempt'],
  ['next', 'col_next'],
  ['duration', 'col_duration'],
  ['size', 'col_size'],
  ['upstream', 'col_upstream'],
  ['worker', 'col_worker'],
];

/** The header row: each column a sort link (again: reversed). */
export function headHtml(state, t) {
  const { key, desc } = parseSort(state.sort);
  let out = '<tr>';
  for (const [k, label] of COLUMNS) {
    const current = k === key;
    const next = current && !desc ? `-${k}` : k;
    const aria = current ? ` aria-sort="${desc ? 'descending' : 'ascending'}"` : '';
    const q = stateQuery({ ...state, sort: next });
    out += `<th scope="col"${aria}><a href="${esc(q || '?')}" data-sort="${esc(next)}">${esc(t[label])}${current ? (desc ? ' ▼' : ' ▲') : ''}</a></th>`;
  }
  return `${out}</tr>`;
}

/** Workers online (seen in the last 15 minutes) and offline. */
export function workersHtml(workers, now, t) {
  let on = 0;
  for (const w of workers) if (now - w.seen <= 900) on++;
  const off = workers.length - on;
  return `${esc(t.workers)}: <span class="w-on">${on} ${esc(t.online)}</span>, <span class="w-off${off ? ' bad' : ''}">${off} ${esc(t.offline)}</span>`;
}

/** The maintenance banner's text (`{active, message, until}`), '' when off. */
export function maintenanceHtml(m, t) {
  if (!m || m.active === false || m.enabled === false || !(m.message || m.active || m.enabled)) return '';
  const until = m.until ? ` (${esc(t.until)} ${esc(absolute(Date.parse(m.until) / 1000))})` : '';
  return `<strong>${esc(t.maintenance)}</strong>: ${esc(m.message || '')}${until}`;
}
