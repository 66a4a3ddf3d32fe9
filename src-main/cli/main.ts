// The `fieldbench` command: the same core as the desktop app, for terminals and scripts.
import { parseArgs } from 'node:util';
import { SerialSettings } from '../api/console-schemas';
import { CaseStatus, VirtualFaults } from '../api/schemas';
import { FIELDBENCH_VERSION } from '../core/version';
import { bleDiagCommand, bleFollowCommand, bleScanCommand, parseBleAddress } from './commands/ble';
import { casesActionOf, casesCommand } from './commands/cases';
import { devicesCommand } from './commands/devices';
import { DFU_ACTIONS, dfuDetachCommand, dfuListCommand, isDfuAction } from './commands/dfu';
import { diagCommand } from './commands/diag';
import { flashCommand, type FlashTarget } from './commands/flash';
import { imageInspectCommand } from './commands/image';
import { kbActionOf, kbCommand } from './commands/kb';
import { logCommand } from './commands/log';
import { procedureListCommand, procedureRunCommand, type ProcedureTarget } from './commands/procedure';
import { isSmpAction, SMP_ACTIONS, smpCommand } from './commands/smp';
import { serveCommand } from './commands/serve';
import { simCommand } from './commands/sim';
import { stationCommand } from './commands/station';
import { MAX_UNITS, MAX_VIRTUAL_UNITS, stationActionOf, stationWords } from './commands/station-args';
import type { CoreSessionOptions } from './core-session';
import { EXIT_OK, printFailure, processIo, UsageError, type Io } from './output';
import { defaultDataDir } from './paths';
import { parseFaults, parseUsbSelector, parseVirtualUsb } from './usb-target';

export const USAGE = `Usage: fieldbench <command> [options]

Commands:
  devices                 List connected devices (serial, USB, and BLE devices a scan heard), recognised
                          from the device profiles; says when BlueZ or the adapter is missing or off
  diag --port PATH        Read a device's identity and diagnostics
  diag --ble ADDRESS      Read a Bluetooth LE device's Device Information, battery and profile readings
                          over GATT (it scans up to 10 s for it first)
  ble scan --seconds N [--all]
                          Scan for Bluetooth LE devices for N seconds (1-60): those a profile recognises,
                          or every one with --all; with --json, one line per advert as it changes
  ble follow ADDRESS [--seconds N]
                          Follow a Bluetooth LE device live: battery, the profile's notifying readings
                          and its UART log as they arrive, reconnecting after a drop, until N seconds
                          have passed or Ctrl-C (with --virtual-ble, ADDRESS may be left out). With
                          --json, one line per event: {"type":"values"|"log"|"state", ...}
  cases [--status S]      List the cases on this machine (S: open, waiting or resolved)
  cases search QUERY [--status S] [--tag T] [--serial N] [--limit N]
                          Find cases by words in their title, fields, tags, notes and attached text
                          files: all words must match, "a phrase" in order, batt* as a prefix; each
                          hit shows where it matched, [marked]
  cases show ID           One case: its fields, attachments, notes and timeline
  cases history SERIAL    Every case for a device serial number, newest first
  cases export ID --out FILE
                          Write a case as an escalation bundle (.zip): reports in Markdown and HTML,
                          case.json and its attachments; never over an existing file
  cases import FILE       Store a case from a bundle exported on another machine; a bundle that is
                          damaged, unsafe or from a newer Fieldbench is refused with the reason, and
                          nothing is written
  kb list [WORDS] [--tag T]
                          List the knowledge-base articles (shipped, local and drafts), those with all
                          the words, or with the tag; files that did not load are named on stderr
  kb show ID              One article: its facts and its steps as plain text
  kb suggest --log-line TEXT | --smp-error N | --dfu-status NAME [--model M] [--firmware V]
                          The articles that fit a log line, an SMP result code or a DFU status
                          (errWRITE …), for a model (profile id or model name) and firmware version,
                          best first, each with why it matched
  procedure list --port PATH|--ble ADDRESS|--virtual
                          The test procedures the device's profile declares
  procedure run --port PATH|--ble ADDRESS|--virtual --procedure ID [--answers FILE.json] [--case ID]
      [--operator NAME] [--image FILE]
                          Run a test procedure step by step; each step's result as it ends (a JSON line
                          with --json), the last line the run's result. Operator steps are answered from
                          FILE: { "<step id>": { "answer": "pass"|"fail", "reason": "...", "value": 3.7 } };
                          a step with no answer fails. --image supplies the image a firmware step needs.
                          With --case the result goes to the case's timeline. Exit 0 when it passes.
                          --virtual runs it on a virtual sensor node attached for this command
  log --port PATH|--virtual [--baud N] [--data-bits N] [--parity P] [--stop-bits N] [--flow F]
      [--send "CMD"]... [--lines N] [--seconds S] [--until REGEX] [--capture FILE]
                          Follow a device's log live: every line with the host's time (absolute and
                          since the start) and its level, colours kept on a terminal. --send sends a
                          command once the console is open (repeat it for more). It stops after N lines
                          from the device, S seconds or the first line matching REGEX, whichever comes
                          first, or at Ctrl-C, and closes the console; the capture stays on disk.
                          --capture appends the lines to FILE as they come (JSON lines if it ends in
                          .jsonl). --json prints one JSON object per line. P: none, even, odd, mark or
                          space; F: none, rts-cts or xon-xoff. --virtual follows a virtual sensor node
                          attached for this command (with --virtual-faults JSON, its fault knobs).
                          Lines piped into it are sent as commands too
  serve [--port N]        Serve the app to a browser on 127.0.0.1 (prints a URL with an access token)
  flash --port PATH --image FILE
      [--key PUB.pem ...] [--upload-only] [--allow-downgrade] [--no-confirm]
                          Update an MCUboot device over SMP; progress, then a last line with the result
  flash --ble ADDRESS --image FILE
      [--key PUB.pem ...] [--upload-only] [--allow-downgrade] [--no-confirm]
                          The same update over Bluetooth LE, through MCUmgr's SMP GATT service (it scans
                          up to 10 s for the device first); it reconnects and resumes after a drop
  flash --usb VID:PID[:SERIAL] --image FILE
      [--alt N] [--address 0x...] [--mass-erase] [--read-unprotect] [--no-leave] [--ignore-id-mismatch]
                          Flash a USB DFU 1.1 or ST DfuSe device (.dfu, DfuSe, Intel HEX, S-record or raw
                          binary; --address places a raw binary on a DfuSe device). VID:PID is the
                          device's ids in either mode (0483:df11, or its application's). It detaches
                          an application into its bootloader first, erases, writes, reads back to
                          verify where the device allows it, and leaves DFU mode unless --no-leave.
                          --read-unprotect removes DfuSe read protection: it ERASES THE WHOLE FLASH.
                          Last line: result verified (read back identical) or written (not verifiable)
  dfu list                List USB DFU interfaces, their alt settings and memory layouts (like dfu-util -l)
  dfu detach --usb VID:PID[:SERIAL]
                          Switch an application offering DFU runtime into its bootloader (DFU mode)
  smp echo TEXT|info|params|images|reset --port PATH
                          Talk MCUmgr (SMP) to a device on a serial port
  image inspect FILE [--key PUB.pem ...]
                          What a firmware file is (MCUboot, Intel HEX, S-record, raw), its hash check
                          and, per key, valid / bad-hash / no-signature-for-key
  sim sensor-node         Attach a virtual sensor node on a pseudo-terminal and print its port
      [--answer-delay MS] [--garbage P] [--silent] [--drop-after BYTES] [--seed N]
      [--drop-at-received BYTES] [--stable-path] [--replug-after MS]
                          --drop-at-received unplugs it once it has received BYTES (mid-upload, say);
                          --stable-path prints a fixed link instead of /dev/pts/N, and --replug-after
                          plugs the node back in at it MS after it drops off
  station --recipe FILE [--operator NAME] [--units N] [--answers FILE.json] [--no-auto-start]
      [--virtual N [--virtual-model sensor-node|dfu-gadget|stm32-dfu] [--fault I:KNOB=VALUE ...]]
                          Run a bench station recipe (relative to this folder) on every unit its profile
                          matches, as they are plugged in (with --no-auto-start, or a recipe without
                          auto-start: those present, once each at the start), until N units have finished
                          or Ctrl-C (running units are aborted and recorded so).
                          One line per unit event: time, unit and serial, state, step, and the verdict
                          (PASS / FAIL: reason); a table of the units last. --json prints one JSON line per
                          event: {"event":"station"|"unit"|"prompt"|"summary", ...}. Operator steps are
                          answered from FILE (as for procedure run), else asked on the terminal, or with
                          --json read from stdin as JSON lines {"serialNumber"|"deviceId": ..., "stepId":
                          ..., "answer": "pass"|"fail", "value"?: n, "reason"?: text}. --virtual N attaches
                          N virtual units first (N is the default of --units); --fault I:KNOB=VALUE sets a knob
                          of unit I, e.g. 2:failingSelftestPart=sensor. Exit 0 when every finished unit passed
  station runs [--serial SN] [--from ISO] [--to ISO] [--recipe ID] [--limit N]
                          The production record, newest first: a unit's history, or a time range's runs
  station export --format csv|jsonl --out FILE [--from ISO] [--to ISO] [--recipe ID]
                          Write the production log (oldest first) to FILE; never over an existing file
  station recipes         The recipe files shipped and in the data folder's recipes/, and why one cannot load
  help                    Show this help

Virtual USB boards (devices, flash, dfu), to try DFU without hardware:
  --virtual-usb stm32-dfu|dfu-gadget[:bootloader]
                          Attach a virtual STM32 board (DfuSe, 0483:5740 / 0483:df11) or DFU 1.1 gadget
                          (1209:0005 / 1209:0006) to this command first, in its application or bootloader
  --virtual-faults JSON   Its fault knobs, e.g. '{"dfuError":{"status":"errWRITE","atByte":4096}}',
                          '{"usbStallNext":true}', '{"readProtected":true}', '{"dropAtReceivedBytes":8192}'
                          Virtual boards run at real speed; FIELDBENCH_VIRTUAL_TIME_SCALE=0.1 runs them 10x faster

Virtual Bluetooth LE (ble scan, ble follow, diag --ble, devices), Linux with dbus-daemon:
  --virtual-ble           Put a virtual sensor node on the air first, through a simulated BlueZ on a
                          private D-Bus of this command's own

Options:
  --json                  Machine-readable output (one JSON object or line)
  --data-dir DIR          Case store folder (default: the desktop app's, or $FIELDBENCH_DATA_DIR)
  --verbose               Log what the core does to stderr
  --version               Print the version

Exit status: 0 success, 1 the operation failed (reason on stderr), 2 wrong usage.`;

const options = {
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  verbose: { type: 'boolean' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  port: { type: 'string' },
  status: { type: 'string' },
  tag: { type: 'string' },
  serial: { type: 'string' },
  limit: { type: 'string' },
  'answer-delay': { type: 'string' },
  garbage: { type: 'string' },
  silent: { type: 'boolean' },
  'drop-after': { type: 'string' },
  'drop-at-received': { type: 'string' },
  'stable-path': { type: 'boolean' },
  'replug-after': { type: 'string' },
  seed: { type: 'string' },
  image: { type: 'string' },
  key: { type: 'string', multiple: true },
  'upload-only': { type: 'boolean' },
  'allow-downgrade': { type: 'boolean' },
  'no-confirm': { type: 'boolean' },
  usb: { type: 'string' },
  alt: { type: 'string' },
  address: { type: 'string' },
  'mass-erase': { type: 'boolean' },
  'read-unprotect': { type: 'boolean' },
  'no-leave': { type: 'boolean' },
  'ignore-id-mismatch': { type: 'boolean' },
  'virtual-usb': { type: 'string' },
  'virtual-faults': { type: 'string' },
  'virtual-ble': { type: 'boolean' },
  ble: { type: 'string' },
  seconds: { type: 'string' },
  all: { type: 'boolean' },
  'log-line': { type: 'string' },
  'smp-error': { type: 'string' },
  'dfu-status': { type: 'string' },
  model: { type: 'string' },
  firmware: { type: 'string' },
  out: { type: 'string' },
  procedure: { type: 'string' },
  answers: { type: 'string' },
  case: { type: 'string' },
  operator: { type: 'string' },
  virtual: { type: 'boolean' },
  baud: { type: 'string' },
  'data-bits': { type: 'string' },
  parity: { type: 'string' },
  'stop-bits': { type: 'string' },
  flow: { type: 'string' },
  send: { type: 'string', multiple: true },
  lines: { type: 'string' },
  until: { type: 'string' },
  capture: { type: 'string' },
  recipe: { type: 'string' },
  'virtual-model': { type: 'string' },
  fault: { type: 'string', multiple: true },
  units: { type: 'string' },
  'no-auto-start': { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  format: { type: 'string' },
} as const;

/** The DFU-only flags, refused for a serial flash rather than silently ignored. */
const DFU_FLAGS = ['alt', 'address', 'mass-erase', 'read-unprotect', 'no-leave', 'ignore-id-mismatch'] as const;
const MCUBOOT_FLAGS = ['upload-only', 'allow-downgrade', 'no-confirm', 'key'] as const;

function addressOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^0x([0-9a-f]{1,8})$/i.exec(text.trim());
  if (!match?.[1]) throw new UsageError(`--address takes a hex address such as 0x08000000, not '${text}'`);
  return Number.parseInt(match[1], 16);
}

function integerOption(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name} takes a whole number from ${min} to ${max}, not '${text}'`);
  return value;
}

function regexOption(name: string, text: string | undefined): RegExp | null {
  if (text === undefined) return null;
  try {
    return new RegExp(text);
  } catch (error) {
    throw new UsageError(`--${name} takes a regular expression: ${(error as Error).message}`);
  }
}

/** The console's UART framing from --baud, --data-bits, --parity, --stop-bits and --flow; what is not given comes from the profile. */
function serialSettingsOptions(values: { baud?: string; 'data-bits'?: string; parity?: string; 'stop-bits'?: string; flow?: string }): Partial<SerialSettings> {
  const settings: Partial<SerialSettings> = {};
  const baudRate = integerOption('baud', values.baud, 50, 12_000_000);
  if (baudRate !== undefined) settings.baudRate = baudRate;
  if (values['data-bits'] !== undefined) {
    const dataBits = SerialSettings.shape.dataBits.safeParse(Number(values['data-bits']));
    if (!dataBits.success) throw new UsageError(`--data-bits takes 5, 6, 7 or 8, not '${values['data-bits']}'`);
    settings.dataBits = dataBits.data;
  }
  if (values.parity !== undefined) {
    const parity = SerialSettings.shape.parity.safeParse(values.parity);
    if (!parity.success) throw new UsageError(`--parity takes ${SerialSettings.shape.parity.options.join(', ')}, not '${values.parity}'`);
    settings.parity = parity.data;
  }
  if (values['stop-bits'] !== undefined) {
    const stopBits = SerialSettings.shape.stopBits.safeParse(Number(values['stop-bits']));
    if (!stopBits.success) throw new UsageError(`--stop-bits takes 1, 1.5 or 2, not '${values['stop-bits']}'`);
    settings.stopBits = stopBits.data;
  }
  if (values.flow !== undefined) {
    const flowControl = SerialSettings.shape.flowControl.safeParse(values.flow);
    if (!flowControl.success) throw new UsageError(`--flow takes ${SerialSettings.shape.flowControl.options.join(', ')}, not '${values.flow}'`);
    settings.flowControl = flowControl.data;
  }
  return settings;
}

export async function runCli(argv: string[], io: Io = processIo, signal: AbortSignal = new AbortController().signal): Promise<number> {
  let json = argv.includes('--json');
  try {
    // station's --virtual=N as --virtual N: the flag is a switch for the other commands (see stationWords).
    const args = argv.flatMap((arg) => (arg.startsWith('--virtual=') ? ['--virtual', arg.slice('--virtual='.length)] : [arg]));
    const { values, positionals, tokens } = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
    json = values.json ?? false;
    if (values.version) {
      io.out(FIELDBENCH_VERSION);
      return EXIT_OK;
    }
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      io.out(USAGE);
      return EXIT_OK;
    }
    const session: CoreSessionOptions = {
      dataDir: values['data-dir'] ?? defaultDataDir(),
      io,
      verbose: values.verbose ?? false,
    };
    const noMoreArguments = () => {
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}' for ${command}`);
    };
    // Only commands that look for USB devices take a virtual board; parsed here so a bad knob is a usage error.
    // `log --virtual` takes --virtual-faults for its virtual sensor node.
    const faultsForLog = command === 'log' && values['virtual-usb'] === undefined;
    const virtualUsb = parseVirtualUsb(values['virtual-usb'], faultsForLog ? undefined : values['virtual-faults']);
    if (virtualUsb && command !== 'devices' && command !== 'flash' && command !== 'dfu') {
      throw new UsageError(`--virtual-usb works with devices, flash and dfu, not ${command}`);
    }
    const virtualBle = values['virtual-ble'] ?? false;
    if (virtualBle && command !== 'devices' && command !== 'ble' && !((command === 'diag' || command === 'flash' || command === 'procedure') && values.ble !== undefined)) {
      throw new UsageError(`--virtual-ble works with ble scan, diag --ble, flash --ble and devices, not ${command}${command === 'diag' || command === 'flash' ? ' --port' : ''}`);
    }
    switch (command) {
      case 'devices':
        noMoreArguments();
        return await devicesCommand(session, json, virtualUsb, virtualBle);
      case 'diag':
        noMoreArguments();
        if (values.ble !== undefined && values.port !== undefined) throw new UsageError('diag takes one of --port PATH or --ble ADDRESS');
        if (values.ble !== undefined) return await bleDiagCommand(session, values.ble, virtualBle, json);
        if (!values.port) throw new UsageError('diag needs --port PATH (for example --port /dev/ttyACM0) or --ble ADDRESS');
        return await diagCommand(session, values.port, json);
      case 'ble': {
        const [action, ...extra] = rest;
        if (action === 'follow') {
          const [address, ...more] = extra;
          if (more.length > 0) throw new UsageError(`unexpected argument '${more[0]}' for ble follow`);
          if (values.all) throw new UsageError('--all is for ble scan; ble follow follows one device');
          const seconds = integerOption('seconds', values.seconds, 1, 86_400) ?? null;
          return await bleFollowCommand(session, { address: address ?? null, seconds, virtualBle }, json, signal);
        }
        if (action !== 'scan') throw new UsageError('ble needs: ble scan --seconds N [--all], or ble follow ADDRESS [--seconds N]');
        if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}' for ble scan`);
        const seconds = integerOption('seconds', values.seconds, 1, 60);
        if (seconds === undefined) throw new UsageError('ble scan needs --seconds N (1 to 60)');
        return await bleScanCommand(session, { seconds, showAll: values.all ?? false, virtualBle }, json, signal);
      }
      case 'cases': {
        const status = values.status === undefined ? undefined : CaseStatus.safeParse(values.status);
        if (status && !status.success) throw new UsageError(`--status is open, waiting or resolved, not '${values.status}'`);
        const action = casesActionOf(rest, {
          status: status?.data,
          tag: values.tag,
          serial: values.serial,
          limit: integerOption('limit', values.limit, 1, 200),
          out: values.out,
        });
        return await casesCommand(session, json, action);
      }
      case 'kb':
        return await kbCommand(
          session,
          json,
          kbActionOf(rest, {
            tag: values.tag,
            logLine: values['log-line'],
            smpError: values['smp-error'],
            dfuStatus: values['dfu-status'],
            model: values.model,
            firmware: values.firmware,
          }),
        );
      case 'procedure': {
        const [action, ...extra] = rest;
        if (action !== 'list' && action !== 'run') throw new UsageError('procedure needs: procedure list, or procedure run --procedure ID');
        if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}' for procedure ${action}`);
        const targets = [values.port, values.ble, values.virtual || undefined].filter((t) => t !== undefined).length;
        if (targets !== 1) throw new UsageError(`procedure ${action} needs one of --port PATH, --ble ADDRESS or --virtual`);
        const target: ProcedureTarget =
          values.port !== undefined ? { port: values.port } : values.ble !== undefined ? { ble: parseBleAddress(values.ble), virtualBle } : { virtual: true };
        if (action === 'list') return await procedureListCommand(session, target, json);
        if (!values.procedure) throw new UsageError('procedure run needs --procedure ID (procedure list shows them)');
        const options = {
          procedureId: values.procedure,
          answersFile: values.answers ?? null,
          imageFile: values.image ?? null,
          caseId: values.case ?? null,
          operator: values.operator ?? null,
        };
        return await procedureRunCommand(session, target, options, json, signal);
      }
      case 'log': {
        noMoreArguments();
        if ((values.port === undefined) === !values.virtual) throw new UsageError('log needs one of --port PATH or --virtual');
        if (values['virtual-faults'] !== undefined && !values.virtual) throw new UsageError('--virtual-faults sets the knobs of the virtual node: give --virtual too');
        return await logCommand(
          session,
          {
            target: values.port !== undefined ? { port: values.port } : { virtual: true, ...(values['virtual-faults'] !== undefined ? { faults: parseFaults(values['virtual-faults']) } : {}) },
            settings: serialSettingsOptions(values),
            send: values.send ?? [],
            lines: integerOption('lines', values.lines, 1, Number.MAX_SAFE_INTEGER) ?? null,
            seconds: integerOption('seconds', values.seconds, 1, 31_536_000) ?? null,
            until: regexOption('until', values.until),
            captureFile: values.capture ?? null,
            // Piped in (not typed at a terminal): each line is a command for the device.
            commands: io === processIo && process.stdin.isTTY !== true ? process.stdin : null,
          },
          json,
          signal,
        );
      }
      case 'serve':
        noMoreArguments();
        return await serveCommand(session, integerOption('port', values.port, 0, 65535) ?? 0, signal);
      case 'flash': {
        noMoreArguments();
        const targets = [values.port, values.usb, values.ble].filter((t) => t !== undefined).length;
        if (targets !== 1 || !values.image) {
          throw new UsageError('flash needs --image FILE and one of --port PATH (MCUboot over SMP), --ble ADDRESS (MCUboot over SMP on BLE) or --usb VID:PID[:SERIAL] (USB DFU)');
        }
        const misplaced = values.usb ? MCUBOOT_FLAGS.find((f) => values[f] !== undefined) : DFU_FLAGS.find((f) => values[f] !== undefined);
        if (misplaced) throw new UsageError(`--${misplaced} ${values.usb ? 'is for MCUboot updates over --port' : 'is for USB DFU flashing with --usb'}`);
        if (values.port && virtualUsb) throw new UsageError('--virtual-usb attaches a USB board: flash it with --usb VID:PID');
        if (values.ble !== undefined && virtualUsb) throw new UsageError('--virtual-usb attaches a USB board: flash it with --usb VID:PID');
        const target: FlashTarget = values.usb
          ? { usb: parseUsbSelector(values.usb), virtualUsb }
          : values.ble !== undefined
            ? { ble: parseBleAddress(values.ble), virtualBle }
            : { port: values.port! };
        const alt = integerOption('alt', values.alt, 0, 255);
        const address = addressOption(values.address);
        const dfu = {
          ...(alt !== undefined ? { alt } : {}),
          ...(address !== undefined ? { address } : {}),
          ...(values['mass-erase'] ? { massErase: true } : {}),
          ...(values['read-unprotect'] ? { readUnprotect: true } : {}),
          ...(values['ignore-id-mismatch'] ? { ignoreIdMismatch: true } : {}),
          leave: !values['no-leave'],
        };
        return await flashCommand(
          session,
          {
            target,
            image: values.image,
            keys: values.key ?? [],
            options: {
              uploadOnly: values['upload-only'] ?? false,
              allowDowngrade: values['allow-downgrade'] ?? false,
              confirm: values['no-confirm'] ? 'never' : 'auto',
              ...(values.usb ? { dfu } : {}),
            },
          },
          json,
          signal,
        );
      }
      case 'dfu': {
        const [action, ...extra] = rest;
        if (!isDfuAction(action)) throw new UsageError(`dfu needs one of: ${DFU_ACTIONS.join(', ')}`);
        if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}' for dfu ${action}`);
        if (action === 'list') return await dfuListCommand(session, virtualUsb, json);
        if (!values.usb) throw new UsageError('dfu detach needs --usb VID:PID[:SERIAL] (the application\'s ids, such as 0483:5740)');
        return await dfuDetachCommand(session, parseUsbSelector(values.usb), virtualUsb, json);
      }
      case 'image': {
        const [action, file, ...extra] = rest;
        if (action !== 'inspect' || file === undefined || extra.length > 0) throw new UsageError('image needs: image inspect FILE [--key PUB.pem ...]');
        return await imageInspectCommand(session, file, values.key ?? [], json);
      }
      case 'smp': {
        const [action, text, ...extra] = rest;
        if (!isSmpAction(action)) throw new UsageError(`smp needs one of: ${SMP_ACTIONS.join(', ')}`);
        if (extra.length > 0 || (action !== 'echo' && text !== undefined)) throw new UsageError(`unexpected argument '${extra[0] ?? text}' for smp ${action}`);
        if (!values.port) throw new UsageError(`smp ${action} needs --port PATH`);
        return await smpCommand(session, action, values.port, text, json);
      }
      case 'sim': {
        const model = rest[0];
        if (!model || rest.length > 1) throw new UsageError('sim needs one model: fieldbench sim sensor-node');
        const garbage = values.garbage === undefined ? undefined : Number(values.garbage);
        const faults = VirtualFaults.safeParse({
          answerDelayMs: integerOption('answer-delay', values['answer-delay'], 0, 60_000),
          garbage,
          silent: values.silent,
          dropAfterBytes: integerOption('drop-after', values['drop-after'], 0, Number.MAX_SAFE_INTEGER),
          dropAtReceivedBytes: integerOption('drop-at-received', values['drop-at-received'], 0, 1_000_000_000),
        });
        if (!faults.success) throw new UsageError(`--garbage takes a probability from 0 to 1, not '${values.garbage}'`);
        const seed = integerOption('seed', values.seed, 0, 0xffffffff);
        const replugAfterMs = integerOption('replug-after', values['replug-after'], 0, 60_000);
        if (replugAfterMs !== undefined && !values['stable-path']) {
          throw new UsageError('--replug-after needs --stable-path: the node comes back on a new /dev/pts/N, so only the stable path finds it again');
        }
        return await simCommand(io, { model, faults: faults.data, seed, stablePath: values['stable-path'] ?? false, replugAfterMs }, signal);
      }
      case 'station': {
        // --virtual is a switch elsewhere; station's count is the word after it.
        const { words, virtualCount } = stationWords(tokens);
        const action = stationActionOf(words, {
          ...values,
          virtualCount: integerOption('virtual', virtualCount ?? undefined, 1, MAX_VIRTUAL_UNITS),
          units: integerOption('units', values.units, 1, MAX_UNITS),
          limit: integerOption('limit', values.limit, 1, 1000),
        });
        return await stationCommand(session, action, json, signal, io === processIo ? process.stdin : null);
      }
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      return printFailure(io, new UsageError(error.message), json);
    }
    return printFailure(io, error, json);
  }
}
