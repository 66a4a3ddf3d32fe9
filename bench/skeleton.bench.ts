// Figures for the walking skeleton, each against the limit that bounds it:
// - note saves: every save is a durable transaction, so the limit is the disk's fsync rate;
// - shell commands: on a real UART the limit is the line rate, so host overhead per command
//   is compared with the time the same bytes take on the wire at the profile's 115200 baud.
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShellClient } from '../src-main/protocols/shell/shell-client';
import { openCaseStore } from '../src-main/store/case-store';
import { openSerialLink } from '../src-main/transports/serial/serial-link';
import { attachSensorNodeOnPty } from '../src-main/virtual/attach-sensor-node';
import { makeTempDir } from '../test/helpers/temp-dir';
import { table, writeSection } from './report';
import { loadProfiles } from '../src-main/core/profiles/profile-registry';
import { isSerialProfile } from '../src-main/core/profiles/profile-types';
import { PROFILES_DIR } from '../test/helpers/core-fixture';

const rows: (string | number)[][] = [['what', 'measured', 'limit', 'ratio to limit']];
const dir = makeTempDir('bench');

afterAll(() => {
  writeSection(
    'skeleton',
    `## Walking skeleton: case store and serial shell\n\n${table(rows)}\n\n` +
      'Note saves: each save is one WAL transaction with synchronous=FULL; the limit is the rate of ' +
      'raw 200-byte write+fdatasync pairs on the same disk. Shell commands: round trips of `kernel uptime` ' +
      'and `battery` to the virtual sensor node through the real serialport on a pseudo-terminal; ' +
      'the limit is the time the command, its echo and the answer take on a 115200-baud 8N1 line ' +
      '(10 bits per byte). A ratio above 1 means the host is faster than the wire, so a real UART, not ' +
      'Fieldbench, sets the pace. A ratio near 0.5 for note saves means about two disk syncs per save ' +
      '(the WAL append, and the checkpoints that fold the WAL back into the database); autosave while ' +
      'typing needs about three saves a second per note, three orders of magnitude below that.',
  );
  dir.remove();
});

function fsyncRate(file: string, count: number): number {
  const fd = openSync(file, 'w');
  const buffer = Buffer.alloc(200, 0x61);
  const start = performance.now();
  for (let i = 0; i < count; i += 1) {
    writeSync(fd, buffer);
    fdatasyncSync(fd);
  }
  const seconds = (performance.now() - start) / 1000;
  closeSync(fd);
  return count / seconds;
}

describe('skeleton benchmarks', () => {
  it('note saves per second against the disk fsync rate', () => {
    const limit = fsyncRate(join(dir.path, 'fsync.bin'), 400);
    const store = openCaseStore({ dataDir: dir.path });
    try {
      const opened = store.cases.open({ title: 'bench', device: null, snapshot: null });
      const noteId = crypto.randomUUID();
      const saves = 400;
      let text = '';
      const start = performance.now();
      for (let i = 0; i < saves; i += 1) {
        text += 'typed ';
        store.cases.saveNote({ caseId: opened.id, noteId, text });
      }
      const rate = saves / ((performance.now() - start) / 1000);
      rows.push(['note saves (durable)', `${rate.toFixed(0)} /s`, `${limit.toFixed(0)} fsync/s`, (rate / limit).toFixed(2)]);
      expect(store.cases.get(opened.id).notes[0]?.revision).toBe(saves);
    } finally {
      store.close();
    }
  });

  it('shell command round trips over a real serial port against 115200-baud wire time', async () => {
    const { profiles } = await loadProfiles(PROFILES_DIR);
    const profile = profiles.find((p) => p.profile.id === 'fieldbench-sensor-node')?.profile;
    if (!profile || !isSerialProfile(profile)) throw new Error('the sensor-node profile did not load with a shell');
    const node = await attachSensorNodeOnPty({ seed: 1 });
    const link = await openSerialLink(node.hostPath, { baudRate: profile.shell.baudRate });
    try {
      const shell = new ShellClient(link, profile.shell);
      await shell.sync();
      for (const command of ['kernel uptime', 'battery']) {
        const rounds = 50;
        let answerChars = 0;
        const start = performance.now();
        for (let i = 0; i < rounds; i += 1) {
          const lines = await shell.run(command);
          answerChars += lines.join('\r\n').length + 2;
        }
        const perCommandMs = (performance.now() - start) / rounds;
        // On the wire: the command and its line ending out, its echo, the answer and the prompt back.
        const bytes = 2 * (command.length + 2) + answerChars / rounds + profile.shell.prompt.length;
        const wireMs = (bytes * 10 * 1000) / profile.shell.baudRate;
        rows.push([`\`${command}\` round trip`, `${perCommandMs.toFixed(2)} ms`, `${wireMs.toFixed(2)} ms on the wire`, (wireMs / perCommandMs).toFixed(2)]);
      }
    } finally {
      await link.close();
      await node.detach();
    }
  });
});
