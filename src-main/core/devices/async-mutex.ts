// One operation at a time per device: a diagnostics read and a case snapshot must not
// interleave their commands on one shell. Callers queue; each operation carries its own
// deadlines inside, so a queued caller waits at most as long as the ones before it allow.
export class AsyncMutex {
  private tail: Promise<unknown> = Promise.resolve();
  private held = 0;

  get isLocked(): boolean {
    return this.held > 0;
  }

  run<T>(operation: () => Promise<T>): Promise<T> {
    this.held += 1;
    const result = this.tail.then(operation, operation);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result.finally(() => {
      this.held -= 1;
    });
  }
}
