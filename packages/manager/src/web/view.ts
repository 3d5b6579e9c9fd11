/**
 * The shared view module (web/view.js): the same code renders the table in
 * the manager and in the browser. Loaded once by file URL; these are the
 * parts the manager uses.
 */
import { pathToFileURL } from 'node:url';
import { WEB_DIR } from './assets.js';

/** A table row (see web/view.js rowFromJob). */
export interface ViewRow {
  name: string;
  worker: string;
  master: boolean;
  status: string;
  last: number;
  started: number;
  ended: number;
  next: number;
  upstream: string;
  size: string;
}

/** What the page shows: `?q=…&status=…&sort=…`. */
export interface ViewState {
  q: string;
  status: string;
  sort: string;
}

type Dict = Record<string, string>;

/** The functions of web/view.js the manager calls. */
export interface ViewModule {
  esc(s: string): string;
  fill(text: string, values: Record<string, string>): string;
  STATUSES: string[];
  rowFromJob(job: object, worker: string): ViewRow;
  filterRows(rows: ViewRow[], state: ViewState): ViewRow[];
  sortRows(rows: ViewRow[], sort: string): ViewRow[];
  sharedNames(rows: ViewRow[]): Set<string>;
  bodyHtml(rows: ViewRow[], t: Dict, now: number, shared: Set<string>, from?: number, to?: number): string;
  countsHtml(rows: ViewRow[], state: ViewState, t: Dict): string;
  headHtml(state: ViewState, t: Dict): string;
  workersHtml(workers: { id: string; seen: number }[], now: number, t: Dict): string;
  maintenanceHtml(m: { active?: boolean; message?: string; until?: string } | undefined, t: Dict): string;
}

let loaded: Promise<ViewModule> | undefined;

/** Imports web/view.js (once). */
export function loadView(): Promise<ViewModule> {
  loaded ??= import(pathToFileURL(`${WEB_DIR}view.js`).href) as Promise<ViewModule>;
  return loaded;
}
