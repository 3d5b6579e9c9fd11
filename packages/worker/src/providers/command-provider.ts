/**
 * The `command` provider: runs the mirror's `command` (split into words, no
 * shell) in the job's directory with the TUNASYNC_* environment and the
 * mirror's `env`; `fail_on_match` fails a successful run whose log matches;
 * `size_pattern` takes the size from the log's last match.
 */
import type { MirrorConfig, Provider, ProviderRunResult, RunContext } from '@tunasync/core';
import { normalizeSize } from '@tunasync/core';
import { countMatches, lastCapture } from '../log-scan.js';
import { splitShellWords } from '../shell-words.js';

/** Runs an arbitrary command as a mirror job. */
export class CommandProvider implements Provider {
  /** Always `command`. */
  readonly kind = 'command';
  /** The mirror's name. */
  readonly name: string;
  /** The mirror's upstream, reported as is. */
  readonly upstream: string;
  private readonly argv: string[];
  private readonly failOnMatch: RegExp | undefined;
  private readonly sizePattern: RegExp | undefined;

  constructor(mirror: Pick<MirrorConfig, 'name' | 'upstream' | 'command' | 'failOnMatch' | 'sizePattern'>) {
    this.name = mirror.name;
    this.upstream = mirror.upstream;
    this.argv = splitShellWords(mirror.command);
    if (this.argv.length === 0) throw new Error(`mirror ${mirror.name}: command is empty`);
    this.failOnMatch = mirror.failOnMatch ? new RegExp(mirror.failOnMatch) : undefined;
    this.sizePattern = mirror.sizePattern ? new RegExp(mirror.sizePattern) : undefined;
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
}
