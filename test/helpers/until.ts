// Waiting for something the code under test does in its own time (a port coming back, a
// line reaching the disk): the probe is asked again every few milliseconds until it gives a
// value, and the wait fails with what it waited for once its deadline passes.

export async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 5_000, everyMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
