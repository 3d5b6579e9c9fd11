/**
 * The one error of this package that core has no class for: a file the
 * command would replace. Every other failure uses core's classes
 * (ValidationError for bad input, NotFoundError for a missing CA).
 */
import { TunasyncError } from '@tunasync/core';

/** Output files already exist and `force` was not given; code `CONFLICT`. */
export class FileExistsError extends TunasyncError {
  /** The files that exist. */
  readonly files: string[];

  constructor(files: string[]) {
    super('CONFLICT', 409, `refusing to overwrite ${files.join(', ')} (use --force to replace ${files.length === 1 ? 'it' : 'them'})`);
    this.files = files;
  }
}
