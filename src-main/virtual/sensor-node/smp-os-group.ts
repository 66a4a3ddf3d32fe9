// SMP OS management on the virtual node, answering as Zephyr's os_mgmt does: echo, task
// and memory-pool statistics, reset (answered first, done a moment later), MCUmgr buffer
// parameters, `uname`-style info with format letters, and bootloader info. In serial
// recovery MCUboot answers only echo, reset, parameters and bootloader info.
import { MgmtErr, OsCommand, SmpGroup } from '../../protocols/smp/smp-groups';
import type { NodeMode } from './smp-image-group';
import { type SmpAnswer, type SmpBody, type SmpGroupHandler, type SmpRequest, field, groupError, mgmtError, notSupported, ok } from './smp-server';

/** OS_MGMT_ERR_*: the OS group's own result codes. */
export const OsMgmtErr = { INVALID_FORMAT: 2, QUERY_YIELDS_NO_ANSWER: 3 } as const;

/**
 * MCUboot's mode numbers as bootloader info reports them (bootutil's enum mcuboot_mode).
 * The node's MCUboot swaps using move, Zephyr's default on parts with uniform pages; in
 * serial recovery the loader writes the one slot in place, which is single-slot mode.
 */
export const McubootMode = { SINGLE_SLOT: 0, SWAP_USING_SCRATCH: 1, OVERWRITE_ONLY: 2, SWAP_USING_MOVE: 3 } as const;

/** CONFIG_MCUMGR_GRP_OS_RESET_MS's default: long enough for the answer to leave the UART. */
export const SMP_RESET_DELAY_MS = 250;

export interface OsGroupOptions {
  mode: () => NodeMode;
  bufSize: number;
  /** MCUmgr buffers, as the mode has them (MCUboot serial recovery holds one request). */
  bufCount: () => number;
  /** The board's name for `uname -n`. */
  nodeName: string;
  uptimeMs: () => number;
  /** Reset the node SMP_RESET_DELAY_MS from now. */
  scheduleReset: () => void;
}

const KERNEL_RELEASE = '3.7.0';
const INFO_PARTS: Record<string, (nodeName: string) => string> = {
  s: () => 'Zephyr',
  n: (nodeName) => nodeName,
  r: () => KERNEL_RELEASE,
  v: () => `v${KERNEL_RELEASE}`,
  b: () => 'Nov 27 2025 02:00:00',
  m: () => 'ARM',
  p: () => 'cortex-m4',
  i: () => 'sensor_node',
  o: () => 'Zephyr',
};
const ALL_INFO = 'snrvbmpio';

export class SmpOsGroup implements SmpGroupHandler {
  readonly group = SmpGroup.OS;

  constructor(private readonly options: OsGroupOptions) {}

  /** os_mgmt_translate_error_code. */
  toMgmtErr(groupRc: number): number {
    return groupRc === OsMgmtErr.INVALID_FORMAT ? MgmtErr.EINVAL : MgmtErr.ENOENT;
  }

  async handle(request: SmpRequest): Promise<SmpAnswer> {
    const recovery = this.options.mode() === 'serial-recovery';
    switch (request.command) {
      case OsCommand.ECHO:
        return this.echo(request.body);
      case OsCommand.RESET:
        if (!request.write) return notSupported();
        this.options.scheduleReset();
        return ok();
      case OsCommand.MCUMGR_PARAMS:
        return request.write ? notSupported() : ok({ buf_size: this.options.bufSize, buf_count: this.options.bufCount() });
      case OsCommand.BOOTLOADER_INFO:
        return request.write ? notSupported() : this.bootloaderInfo(request.body, recovery);
    }
    if (recovery || request.write) return notSupported();
    switch (request.command) {
      case OsCommand.TASK_STATS:
        return ok({ tasks: this.tasks() });
      case OsCommand.MEMORY_POOL_STATS:
        return ok({ pools: { heap: { blksiz: 16, nblks: 1024, nfree: 611, min: 540 } } });
      case OsCommand.INFO:
        return this.info(request.body);
      default:
        return notSupported();
    }
  }

  private echo(body: SmpBody): SmpAnswer {
    const text = field.text(body, 'd');
    return text === undefined ? mgmtError(MgmtErr.EINVAL) : ok({ r: text });
  }

  private bootloaderInfo(body: SmpBody, recovery: boolean): SmpAnswer {
    const query = field.text(body, 'query');
    if (query === undefined) return ok({ bootloader: 'MCUboot' });
    if (query !== 'mode') return groupError(OsMgmtErr.QUERY_YIELDS_NO_ANSWER, `no answer to query '${query}'`);
    // serial_recovery is the simulator's own key: real loaders tell it only by what they lack.
    return recovery
      ? ok({ mode: McubootMode.SINGLE_SLOT, 'no-downgrade': false, serial_recovery: true })
      : ok({ mode: McubootMode.SWAP_USING_MOVE, 'no-downgrade': false });
  }

  private info(body: SmpBody): SmpAnswer {
    const format = field.text(body, 'format') ?? 's';
    const letters = format.includes('a') ? ALL_INFO : format;
    const parts: string[] = [];
    for (const letter of letters) {
      const part = INFO_PARTS[letter];
      if (!part) return groupError(OsMgmtErr.INVALID_FORMAT, `format letter '${letter}' is not known`);
      parts.push(part(this.options.nodeName));
    }
    return ok({ output: parts.join(' ') });
  }

  /** A handful of threads a Zephyr sensor node plausibly runs, with counters that move with uptime. */
  private tasks(): SmpBody {
    const seconds = Math.floor(this.options.uptimeMs() / 1000);
    const thread = (prio: number, tid: number, stksiz: number, stkuse: number, perSecond: number): SmpBody => ({
      prio,
      tid,
      state: 0,
      stkuse,
      stksiz,
      cswcnt: 10 + seconds * perSecond,
      runtime: seconds * perSecond * 37,
      last_checkin: 0,
      next_checkin: 0,
    });
    return {
      idle: thread(15, 1, 320, 64, 900),
      main: thread(0, 2, 2048, 812, 1),
      logging: thread(14, 3, 768, 296, 4),
      sysworkq: thread(-1, 4, 1024, 380, 2),
      shell_uart: thread(14, 5, 2048, 1104, 6),
      smp_work: thread(10, 6, 2304, 1420, 0),
      sensor: thread(7, 7, 1024, 452, 1),
    };
  }
}
