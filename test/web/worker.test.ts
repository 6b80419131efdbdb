import { describe, expect, it, vi } from 'vitest';
import type { FromWorker, ToWorker } from '../../src/web/protocol.js';
import { SerialQueue } from '../../src/web/serial-queue.js';

// The worker module runs in Node with a fake `self` and fake models: tagBlob of a photo named "bad.jpg" rejects,
// as a job could (e.g. a result the structured clone refuses); the jobs after it must still be answered.
vi.mock('../../src/browser/pipeline.js', () => ({
  WebTagger: {
    create: async () => ({
      sidecar: { attributes: [], thresholds: {}, validation: { split: 'val', n: 0 }, name: 'fake' },
      tagBlob: async (_file: Blob, path: string) => {
        if (path === 'bad.jpg') throw new Error('could not be cloned');
        return { path, width: 1, height: 1, faces: [], error: null };
      },
    }),
  },
}));
vi.mock('../../src/web/compare.js', () => ({
  compareInBrowser: async () => ({ result: {}, html: '<p>ok</p>', csv: '', json: '{}', charts: [] }),
}));

describe('inference worker queue', () => {
  it('answers every message after a job that rejected, in arrival order', async () => {
    const posted: FromWorker[] = [];
    let listener: ((e: MessageEvent<ToWorker>) => void) | undefined;
    (globalThis as unknown as { self: unknown }).self = {
      postMessage: (m: FromWorker) => posted.push(m),
      addEventListener: (_type: string, l: (e: MessageEvent<ToWorker>) => void) => (listener = l),
    };
    await import('../../src/web/worker.js');
    const send = (data: ToWorker) => listener!({ data } as MessageEvent<ToWorker>);
    const blob = new Blob([]);
    send({ type: 'tag', id: 1, file: blob, path: 'bad.jpg' });
    send({ type: 'tag', id: 2, file: blob, path: 'good.jpg' });
    send({ type: 'compare', request: {} as never });
    await vi.waitFor(() => expect(posted.filter((m) => m.type !== 'ready' && m.type !== 'started')).toHaveLength(3), { timeout: 5000, interval: 5 });
    const answers = posted.filter((m) => m.type === 'result' || m.type === 'compare-result');
    expect(answers.map((m) => (m.type === 'result' ? [m.id, m.result.path, m.result.error?.code ?? null] : m.type))).toEqual([
      [1, 'bad.jpg', 'internal_error'],
      [2, 'good.jpg', null],
      'compare-result',
    ]);
    expect(answers[0].type === 'result' && answers[0].result.error?.message).toBe('bad.jpg: could not be cloned');
  });
});

describe('SerialQueue', () => {
  it('runs jobs one at a time in order, hands a failure to its handler and goes on', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    q.push(async () => { log.push('a start'); await gate; log.push('a end'); }, () => log.push('a error'));
    q.push(() => { throw new Error('b'); }, (e) => log.push(`b error ${(e as Error).message}`));
    q.push(async () => Promise.reject(new Error('c')), () => { throw new Error('handler fails too'); });
    const last = q.push(async () => { log.push('d'); }, () => log.push('d error'));
    await Promise.resolve();
    expect(log).toEqual(['a start']); // b waits for a
    release();
    await last;
    expect(log).toEqual(['a start', 'a end', 'b error b', 'd']);
  });
});
