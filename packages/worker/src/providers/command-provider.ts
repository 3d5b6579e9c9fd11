/**
 * The `command` provider: runs the mirror's `command` (split into words, no
 * shell) in the job's directory with the TUNASYNC_* environment and the
 * mirror's `env`; `fail_on_match` fails a successful run whose log matches;
 * `size_pattern` takes the size from the log's last match, and
 * `transferred_pattern` the bytes the run transferred (run history).
 */
import type { MirrorConfig, Provider, ProviderRunResult, RunContext } from '@tunasync/core';
import { normalizeSize } from '@tunasync/core';
import { countMatches, lastCapture } from '../log-scan.js';
import { patternTransferStats, type TransferStats, type TransferStatsSource } from './transfer-stats.js';
import { splitShellWords } from '../shell-words.js';

/** Runs an arbitrary command as a mirror job. */
export class CommandProvider implements Provider, TransferStatsSource {
  /** Always `command`. */
  readonly kind = 'command';
  /** The mirror's name. */
  readonly name: string;
  /** The mirror's upstream, reported as is. */
  readonly upstream: string;
  private readonly argv: string[];
  private readonly failOnMatch: RegExp | undefined;
  private readonly sizePattern: RegExp | undefined;
  private readonly transferredPattern: RegExp | undefined;

  constructor(mirror: Pick<MirrorConfig, 'name' | 'upstream' | 'command' | 'failOnMatch' | 'sizePattern'> & Partial<Pick<MirrorConfig, 'transferredPattern'>>) {
    this.name = mirror.name;
    this.upstream = mirror.upstream;
    this.argv = splitShellWords(mirror.command);
    if (this.argv.length === 0) throw new Error(`mirror ${mirror.name}: command is empty`);
    this.failOnMatch = mirror.failOnMatch ? new RegExp(mirror.failOnMatch) : undefined;
    this.sizePattern = mirror.sizePattern ? new RegExp(mirror.sizePattern) : undefined;
    this.transferredPattern = mirror.transferredPattern ? new RegExp(mirror.transferredPattern) : undefined;
  }

  /** Runs the command once. */
  async run(ctx: RunContext): Promise<ProviderRunResult> {
    const result = await ctx.exec(this.argv);
    if (ctx.signal.aborted) throw new Error(String(ctx.signal.reason ?? 'aborted'));
    if (!result.success) {
      throw new Error(result.signal ? `killed by ${result.signal}` : `exit status ${result.exitCode}`);
    }
    if (this.failOnMatch) {
      const n = await countMatches(ctx.logFile, this.failOnMatch);
      if (n > 0) throw new Error(`Fail-on-match: ${n}`);
    }
    if (this.sizePattern) {
      const raw = await lastCapture(ctx.logFile, this.sizePattern);
      const size = raw === undefined ? undefined : (normalizeSize(raw) ?? raw);
      return size === undefined ? {} : { size };
    }
    return {};
  }

  /** The bytes of `transferred_pattern`'s last match in a try's log; nothing without the option. */
  async transferStats(logFile: string, fromByte = 0): Promise<TransferStats> {
    return this.transferredPattern ? patternTransferStats(logFile, this.transferredPattern, fromByte) : {};
  }
}
