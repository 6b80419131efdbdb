/**
 * Runs asynchronous jobs one at a time, in the order they were pushed. A job that throws or rejects is handed to
 * its `onError` and never stops the jobs after it (a bare `queue = queue.then(job)` chain would skip every later
 * job once one rejects: the page would wait for ever).
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  /**
   * Queue `job` after every job pushed before it has settled.
   * @param onError called with what `job` threw or rejected with; an error thrown by `onError` itself is dropped.
   * @returns a promise that settles (always fulfilled) when the job and its error handling are done.
   */
  push(job: () => Promise<void> | void, onError: (err: unknown) => void): Promise<void> {
    const run = this.tail.then(job).catch((err: unknown) => {
      try {
        onError(err);
      } catch {
        // Nothing left to tell: the queue must go on.
      }
    });
    this.tail = run;
    return run;
  }
}
