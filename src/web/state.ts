/**
 * State shared by the web app's views (src/web/views/*): the photos added so far, the group names, the
 * attribute model's description, the channel to the inference worker, and a small event bus so that one view
 * can tell the others that something changed without importing them.
 */

import type { PhotoResult } from '../types.js';
import type { ModelInfo, ToWorker } from './protocol.js';

export { $ } from './dom.js';

/** One photo in the page. */
export interface PhotoEntry {
  id: number;
  /** Path relative to what was picked or dropped ("trip/IMG_1.jpg"). */
  path: string;
  file: File;
  /** `blob:` URL of the file, for <img>. */
  url: string;
  group: string | null;
  status: 'queued' | 'processing' | 'done';
  result: PhotoResult | null;
  selected: boolean;
  /** The photo's card in the gallery. */
  card: HTMLElement;
}

/** The app's shared state (one per tab; nothing is persisted). */
export const app = {
  /** Photos by id, in the order they were added. */
  photos: new Map<number, PhotoEntry>(),
  /** Group names, in the order they appeared. */
  groups: [] as string[],
  nextId: 1,
  /** The attribute model, once the worker has loaded it. */
  model: null as ModelInfo | null,
};

let post: ((m: ToWorker) => void) | null = null;

/** Set by the shell (main.ts) once the worker exists. */
export function connectWorker(fn: (m: ToWorker) => void): void {
  post = fn;
}

/** Send a message to the inference worker. @throws Error when called before the shell connected the worker. */
export function send(m: ToWorker): void {
  if (!post) throw new Error('the inference worker is not started');
  post(m);
}

/**
 * Events between views:
 * - `groups-changed`: photos were added or analysed, or their groups changed (the comparison's group table);
 * - `filter-add`: add an attribute name to the gallery's filter (detail: the name).
 */
export type AppEvent = 'groups-changed' | 'filter-add';

const bus = new EventTarget();

/** Announce an event to every listener. */
export function emit(type: AppEvent, detail?: string): void {
  bus.dispatchEvent(new CustomEvent(type, { detail }));
}

/** Listen for an event; the listener gets the event's detail. */
export function on(type: AppEvent, fn: (detail: string | undefined) => void): void {
  bus.addEventListener(type, (e) => fn((e as CustomEvent<string | undefined>).detail));
}
