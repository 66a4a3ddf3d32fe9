// The Link: the small byte-pipe interface every protocol client is written against.
// A serial port, a BLE characteristic pair or an in-memory pipe to a virtual device all
// look the same from here, so the shell client (and later SMP) runs unchanged over each.

export type LinkCloseReason =
  | { kind: 'closed-by-us' }
  /** The device went away: unplugged, port vanished, remote hung up. */
  | { kind: 'lost'; message: string };

export interface Link {
  /** Names the device in every message: "/dev/ttyUSB0", "virtual sensor-node (in-memory)". */
  readonly label: string;
  readonly isOpen: boolean;

  /** Send bytes; resolves when they are handed to the OS (or the peer, for in-memory links). */
  write(data: Uint8Array): Promise<void>;

  /**
   * Wait at most `timeoutMs` for bytes and resolve with everything buffered so far.
   * Resolves with an empty array when the deadline passes with nothing received;
   * rejects with a FieldbenchError ('device-gone') once the link is closed and drained.
   * Only one read may be pending at a time.
   */
  read(timeoutMs: number): Promise<Uint8Array>;

  /** Throw away whatever has been received but not read (stale output before a new command). */
  discardInput(): void;

  close(): Promise<void>;

  /** Called once when the link closes, by us or by the device going away. */
  onClose(listener: (reason: LinkCloseReason) => void): () => void;

  /**
   * Every chunk as it arrives, with the host time it arrived (ms since the epoch), whether or
   * not anyone reads it: a console watching a port sees what a firmware update reads from it.
   * Links that only pace or wrap another (a line-rate emulation) may leave it out.
   */
  onData?(listener: (chunk: Uint8Array, time: number) => void): () => void;
}
