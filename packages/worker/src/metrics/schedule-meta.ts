/**
 * The extension fields our worker adds to each entry of its schedules
 * (issue 16): `stale_after_s` (worker.conf `stale_after`, per mirror or
 * `[global]`) and `interval_s`, so the manager can tell stale mirrors.
 * tunasync's manager ignores unknown fields. A cron job has no fixed
 * interval: only its `stale_after` is sent.
 */
import type { MirrorConfig, MirrorSchedule } from '@tunasync/core';

/** `schedule` with the mirror's stale_after and interval (when known). */
export function withScheduleMeta(schedule: MirrorSchedule, mirror: MirrorConfig | undefined): MirrorSchedule {
  if (!mirror) return schedule;
  const out: MirrorSchedule = { ...schedule };
  if (mirror.staleAfterS !== undefined) out.staleAfterS = mirror.staleAfterS;
  if (!mirror.cron && mirror.interval > 0) out.intervalS = mirror.interval * 60;
  return out;
}
