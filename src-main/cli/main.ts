// The `fieldbench` command: the same core as the desktop app, for terminals and scripts.
import { parseArgs } from 'node:util';
import { CaseStatus, VirtualFaults } from '../api/schemas';
import { FIELDBENCH_VERSION } from '../core/version';
import { casesCommand } from './commands/cases';
import { devicesCommand } from './commands/devices';
import { diagCommand } from './commands/diag';
import { flashCommand } from './commands/flash';
import { imageInspectCommand } from './commands/image';
import { isSmpAction, SMP_ACTIONS, smpCommand } from './commands/smp';
import { serveCommand } from './commands/serve';
import { simCommand } from './commands/sim';
import type { CoreSessionOptions } from './core-session';
import { EXIT_OK, printFailure, processIo, UsageError, type Io } from './output';
import { defaultDataDir } from './paths';

export const USAGE = `Usage: fieldbench <command> [options]

Commands:
  devices                 List connected devices, recognised from the device profiles
  diag --port PATH        Read a device's identity and diagnostics
  cases [--status S]      List the cases on this machine (S: open or resolved)
  serve [--port N]        Serve the app to a browser on 127.0.0.1 (prints a URL with an access token)
  flash --port PATH --image FILE
      [--key PUB.pem ...] [--upload-only] [--allow-downgrade] [--no-confirm]
                          Update an MCUboot device over SMP; progress, then a last line with the result
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
  help                    Show this help

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
} as const;

function integerOption(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name} takes a whole number from ${min} to ${max}, not '${text}'`);
  return value;
}

export async function runCli(argv: string[], io: Io = processIo, signal: AbortSignal = new AbortController().signal): Promise<number> {
  let json = argv.includes('--json');
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
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
    switch (command) {
      case 'devices':
        noMoreArguments();
        return await devicesCommand(session, json);
      case 'diag':
        noMoreArguments();
        if (!values.port) throw new UsageError('diag needs --port PATH (for example --port /dev/ttyACM0)');
        return await diagCommand(session, values.port, json);
      case 'cases': {
        noMoreArguments();
        const status = values.status === undefined ? undefined : CaseStatus.safeParse(values.status);
        if (status && !status.success) throw new UsageError(`--status is open or resolved, not '${values.status}'`);
        return await casesCommand(session, json, status?.data);
      }
      case 'serve':
        noMoreArguments();
        return await serveCommand(session, integerOption('port', values.port, 0, 65535) ?? 0, signal);
      case 'flash':
        noMoreArguments();
        if (!values.port || !values.image) throw new UsageError('flash needs --port PATH and --image FILE');
        return await flashCommand(
          session,
          {
            port: values.port,
            image: values.image,
            keys: values.key ?? [],
            options: {
              uploadOnly: values['upload-only'] ?? false,
              allowDowngrade: values['allow-downgrade'] ?? false,
              confirm: values['no-confirm'] ? 'never' : 'auto',
            },
          },
          json,
          signal,
        );
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
