// Note autosave under fake timers: debounce, one save in flight, latest text wins, "Saved"
// only for the latest text, retries after failure, flush on demand.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NoteAutosaver, type NoteSaveStatus, type SavedNote } from '../../src-renderer/stores/note-autosave';

interface PendingSave {
  text: string;
  resolve(saved: SavedNote): void;
  reject(error: Error): void;
}

function setup(initial: { text: string; revision: number | null } = { text: '', revision: null }) {
  const saves: PendingSave[] = [];
  const statuses: NoteSaveStatus[] = [];
  let revision = initial.revision ?? 0;
  const saver = new NoteAutosaver({
    initialText: initial.text,
    initialRevision: initial.revision,
    debounceMs: 300,
    retryDelaysMs: [1000, 2000],
    save: (text) =>
      new Promise<SavedNote>((resolve, reject) => {
        saves.push({ text, resolve, reject });
      }),
    onStatus: (s) => statuses.push(s),
  });
  /** The server stores the oldest outstanding save. */
  const ack = async (index = saves.length - 1) => {
    revision += 1;
    saves[index]!.resolve({ revision });
    await vi.advanceTimersByTimeAsync(0);
  };
  const fail = async (message: string, index = saves.length - 1) => {
    saves[index]!.reject(new Error(message));
    await vi.advanceTimersByTimeAsync(0);
  };
  return { saver, saves, statuses, ack, fail };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('NoteAutosaver', () => {
  it('starts as new or saved, and an empty new note is not stored', async () => {
    expect(setup().saver.status).toEqual({ kind: 'new' });
    expect(setup({ text: 'old', revision: 4 }).saver.status).toEqual({ kind: 'saved', revision: 4 });
    const { saver, saves } = setup();
    saver.edit('');
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves).toHaveLength(0);
    expect(saver.hasUnsavedText).toBe(false);
  });

  it('waits for the typing to pause, then sends the full text once', async () => {
    const { saver, saves, ack } = setup();
    for (const text of ['B', 'Ba', 'Bat', 'Batt']) {
      saver.edit(text);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(saves).toHaveLength(0);
    expect(saver.status.kind).toBe('saving');
    await vi.advanceTimersByTimeAsync(200);
    expect(saves.map((s) => s.text)).toEqual(['Batt']);
    await ack();
    expect(saver.status).toEqual({ kind: 'saved', revision: 1 });
    expect(saver.hasUnsavedText).toBe(false);
  });

  it('keeps one save in flight, sends the latest text after it, and says Saved only then', async () => {
    const { saver, saves, ack, statuses } = setup();
    saver.edit('first');
    await vi.advanceTimersByTimeAsync(300);
    expect(saves).toHaveLength(1);

    // Typing goes on while the first save is out; its debounce ends before the answer.
    saver.edit('first and');
    saver.edit('first and more');
    await vi.advanceTimersByTimeAsync(300);
    expect(saves).toHaveLength(1); // never two at once

    await ack(0);
    // The answer was for older text: not Saved, and the latest text goes at once.
    expect(saver.status.kind).toBe('saving');
    expect(saves.map((s) => s.text)).toEqual(['first', 'first and more']);
    expect(statuses.some((s) => s.kind === 'saved')).toBe(false);

    await ack(1);
    expect(saver.status).toEqual({ kind: 'saved', revision: 2 });
    expect(saver.text).toBe('first and more');
  });

  it('lets a running debounce send the rest when the answer comes mid-typing', async () => {
    const { saver, saves, ack } = setup();
    saver.edit('a');
    await vi.advanceTimersByTimeAsync(300);
    saver.edit('ab');
    await ack(0); // answer arrives while the debounce for 'ab' is still running
    expect(saves).toHaveLength(1);
    expect(saver.status.kind).toBe('saving');
    await vi.advanceTimersByTimeAsync(300);
    expect(saves.map((s) => s.text)).toEqual(['a', 'ab']);
  });

  it('goes back to Saved without a request when the text returns to what is stored', async () => {
    const { saver, saves } = setup({ text: 'kept', revision: 3 });
    saver.edit('kept!');
    saver.edit('kept');
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves).toHaveLength(0);
    expect(saver.status).toEqual({ kind: 'saved', revision: 3 });
  });

  it('reports a failure with its reason and retries with growing delays, sending the latest text', async () => {
    const { saver, saves, ack, fail } = setup();
    saver.edit('draft');
    await vi.advanceTimersByTimeAsync(300);
    await fail('not connected to Fieldbench');
    expect(saver.status).toEqual({ kind: 'failed', reason: 'not connected to Fieldbench', retryInMs: 1000, failures: 1 });
    expect(saver.hasUnsavedText).toBe(true);

    await vi.advanceTimersByTimeAsync(1000);
    expect(saves).toHaveLength(2);
    await fail('still down');
    expect(saver.status).toMatchObject({ kind: 'failed', reason: 'still down', retryInMs: 2000, failures: 2 });

    saver.edit('draft, typed while failing'); // kept; the status keeps saying it is not saved
    expect(saver.status.kind).toBe('failed');
    await vi.advanceTimersByTimeAsync(300);
    expect(saves.map((s) => s.text)).toEqual(['draft', 'draft', 'draft, typed while failing']);
    await ack();
    expect(saver.status).toEqual({ kind: 'saved', revision: 1 });
  });

  it('uses the last retry delay again once the list runs out', async () => {
    const { saver, fail } = setup();
    saver.edit('x');
    await vi.advanceTimersByTimeAsync(300);
    for (const expected of [1000, 2000, 2000, 2000]) {
      await fail('down');
      expect(saver.status).toMatchObject({ retryInMs: expected });
      await vi.advanceTimersByTimeAsync(expected);
    }
  });

  it('flush sends at once, without waiting for the pause, and resolves when the latest text is stored', async () => {
    const { saver, saves, ack } = setup();
    saver.edit('leaving now');
    const flushed = saver.flush();
    expect(saves.map((s) => s.text)).toEqual(['leaving now']);
    let done = false;
    void flushed.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    await ack();
    expect(done).toBe(true);
    expect(saver.status.kind).toBe('saved');
  });

  it('flush during a save chains the latest text right after it', async () => {
    const { saver, saves, ack } = setup();
    saver.edit('one');
    await vi.advanceTimersByTimeAsync(300);
    saver.edit('one two');
    const flushed = saver.flush();
    expect(saves).toHaveLength(1);
    await ack(0);
    expect(saves.map((s) => s.text)).toEqual(['one', 'one two']);
    await ack(1);
    await flushed;
    expect(saver.status).toEqual({ kind: 'saved', revision: 2 });
  });

  it('flush skips the retry wait after a failure', async () => {
    const { saver, saves, fail } = setup();
    saver.edit('x');
    await vi.advanceTimersByTimeAsync(300);
    await fail('down');
    void saver.flush();
    expect(saves).toHaveLength(2);
  });

  it('reports the revision of the acknowledgement for the latest text', async () => {
    const { saver, saves } = setup({ text: 'v5', revision: 5 });
    saver.edit('v6');
    await vi.advanceTimersByTimeAsync(300);
    saves[0]!.resolve({ revision: 6 });
    await vi.advanceTimersByTimeAsync(0);
    expect(saver.status).toEqual({ kind: 'saved', revision: 6 });
  });

  it('stops reporting and timing after dispose', async () => {
    const { saver, saves, statuses } = setup();
    saver.edit('x');
    saver.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    expect(saves).toHaveLength(0);
    expect(statuses).toEqual([{ kind: 'saving' }]);
  });
});
