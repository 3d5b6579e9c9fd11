/**
 * What a try transferred, read from its log once the provider is done
 * (also after a failure: a partial rsync still prints its `--stats`).
 * A provider that knows how implements TransferStatsSource; the built-in
 * rsync providers read rsync's `--stats`, the command provider its
 * `transferred_pattern`. Other providers report nothing.
 */
import { stat } from 'node:fs/promises';
import { errorMessage, parseSize, rsyncTransferFromLine, type Logger, type Provider } from '@tunasync/core';
import { forEachLogLine, lastCapture } from '../log-scan.js';

/** Bytes and regular files a try transferred; a count is absent when its log does not say. */
export interface TransferStats {
  transferredBytes?: number;
  filesTransferred?: number;
}

/** A provider that can read what a try transferred from the try's log. */
export interface TransferStatsSource {
  /**
   * What the try writing `logFile` transferred; the try's output starts at
   * byte `fromByte` (two runs in the same minute share a log file, appended to).
   */
  transferStats(logFile: string, fromByte?: number): Promise<TransferStats>;
}

/** True when `provider` implements TransferStatsSource. */
export function hasTransferStats(provider: Provider): provider is Provider & TransferStatsSource {
  return typeof (provider as Partial<TransferStatsSource>).transferStats === 'function';
}

/**
 * The sum of every `--stats` block in an rsync log from byte `fromByte` (both stages of
 * two-stage-rsync write to one log). `levels` are the human-readable levels
 * (core's rsyncHumanLevel) of the rsync commands in the order they ran; a
 * block is read at the level of its command (the last level for any more).
 */
export async function rsyncTransferStats(logFile: string, levels: readonly number[], fromByte = 0): Promise<TransferStats> {
  let block = 0;
  let bytes: number | undefined;
  let files: number | undefined;
  await forEachLogLine(logFile, (line) => {
    const hit = rsyncTransferFromLine(line, levels[Math.min(block, levels.length - 1)] ?? 1);
    if (!hit) return;
    if ('filesTransferred' in hit) files = (files ?? 0) + hit.filesTransferred;
    else {
      bytes = (bytes ?? 0) + hit.transferredBytes;
      block += 1; // "Total transferred file size" comes after the file count in a block
    }
  }, fromByte);
  return { ...(bytes !== undefined ? { transferredBytes: bytes } : {}), ...(files !== undefined ? { filesTransferred: files } : {}) };
}

/**
 * The transferred bytes of a command's log: the first group of the last
 * line matching `pattern`, a byte count (`1,234,567`) or a size (`1.5G`,
 * K = 1024); nothing when no line matches or the group is not a size.
 */
export async function patternTransferStats(logFile: string, pattern: RegExp, fromByte = 0): Promise<TransferStats> {
  const raw = await lastCapture(logFile, pattern, fromByte);
  const bytes = raw === undefined ? undefined : parseSize(raw.trim());
  return bytes === undefined ? {} : { transferredBytes: bytes };
}

/** The size of `logFile` now (0 when it does not exist yet): where the output of a try about to run starts. */
export async function logOffset(logFile: string): Promise<number> {
  try {
    return (await stat(logFile)).size;
  } catch {
    return 0;
  }
}

/**
 * What the try that wrote `logFile` from byte `fromByte` on transferred,
 * when `provider` can tell; a log that cannot be read is a warning and
 * gives nothing (the run's result does not depend on it).
 */
export async function transferStatsOf(provider: Provider, logFile: string, fromByte: number, log: Logger): Promise<TransferStats> {
  if (!hasTransferStats(provider)) return {};
  try {
    return await provider.transferStats(logFile, fromByte);
  } catch (err) {
    log.warn(`cannot read what the run transferred from ${logFile}: ${errorMessage(err)}`);
    return {};
  }
}
