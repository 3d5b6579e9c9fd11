/**
 * The mirrorz data format (v1.7) from the manager's job statuses, as
 * mirrorz-parser's tunasync conversion does it, without the zero-time and
 * several-worker mistakes:
 *
 * - `status` is one main code with its Unix-seconds timestamp, then
 *   auxiliaries: `S<last success>`, `Y<started>` (syncing and pre-syncing),
 *   `F<last ended>`, `P<paused at>`, `D` (never run); `O<last success>` after
 *   `Y`/`F`; `X<next run>` when one is scheduled. A zero or negative time is
 *   never written: its number is left out.
 * - Several workers with one mirror are merged into one entry: the master
 *   first, then the newest success.
 */
import { isZeroTime, type MirrorStatus, type MirrorzConfig } from '@tunasync/core';

/** The `version` written. */
export const MIRRORZ_VERSION = 1.7;

/** One entry of mirrorz's `mirrors`. */
export interface MirrorzMirror {
  cname: string;
  desc: string;
  url: string;
  status: string;
  help: string;
  upstream: string;
  size?: string;
  disable?: boolean;
}

/** The whole mirrorz.json body. */
export interface MirrorzDocument {
  version: number;
  site: Record<string, string>;
  info: unknown[];
  mirrors: MirrorzMirror[];
}

/** Unix seconds of `d`, or '' when it is the zero time or not after 1970. */
function ts(d: Date): string {
  if (isZeroTime(d)) return '';
  const s = Math.floor(d.getTime() / 1000);
  return Number.isFinite(s) && s > 0 ? String(s) : '';
}

/** mirrorz's status string of one job. */
export function mirrorzStatus(s: MirrorStatus): string {
  const success = ts(s.lastUpdate);
  const old = success ? `O${success}` : '';
  const next = ts(s.nextSchedule);
  const scheduled = next ? `X${next}` : '';
  switch (s.status) {
    case 'success':
      return `S${success}${scheduled}`;
    case 'syncing':
    case 'pre-syncing':
      return `Y${ts(s.lastStarted)}${scheduled}${old}`;
    case 'failed':
      return `F${ts(s.lastEnded)}${scheduled}${old}`;
    case 'paused':
      return `P${ts(s.lastEnded) || ts(s.lastUpdate)}`;
    case 'disabled':
      return success ? `S${success}` : 'D';
    default:
      // `none`: registered, never run (a success before is still worth telling).
      return success ? `S${success}${scheduled}` : `D${scheduled}`;
  }
}

/** The entry shown for a mirror several workers have: the master first, then the newest success. */
export function pickStatus(statuses: MirrorStatus[]): MirrorStatus {
  return [...statuses].sort(
    (a, b) => Number(b.isMaster) - Number(a.isMaster) || b.lastUpdate.getTime() - a.lastUpdate.getTime() || a.worker.localeCompare(b.worker),
  )[0]!;
}

/** Groups statuses by mirror name, in name order. */
export function byMirror(statuses: MirrorStatus[]): Map<string, MirrorStatus[]> {
  const out = new Map<string, MirrorStatus[]>();
  for (const s of [...statuses].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const list = out.get(s.name);
    if (list) list.push(s);
    else out.set(s.name, [s]);
  }
  return out;
}

/** Builds mirrorz.json from `[mirrorz]` and every job status. */
export function buildMirrorz(config: MirrorzConfig & { site: Record<string, string> }, statuses: MirrorStatus[]): MirrorzDocument {
  const mirrors: MirrorzMirror[] = [];
  for (const [name, list] of byMirror(statuses)) {
    if (name === '') continue;
    const s = pickStatus(list);
    const c = config.mirrors[name] ?? {};
    const size = c.size ?? (s.size && s.size !== 'unknown' ? s.size : undefined);
    mirrors.push({
      cname: c.cname ?? name,
      desc: c.desc ?? '',
      url: c.url ?? `/${name}/`,
      status: mirrorzStatus(s),
      help: c.help ?? '',
      upstream: c.upstream ?? s.upstream,
      ...(size !== undefined ? { size } : {}),
      ...(s.status === 'disabled' ? { disable: true } : {}),
    });
  }
  return { version: MIRRORZ_VERSION, site: { ...config.site }, info: [], mirrors };
}
