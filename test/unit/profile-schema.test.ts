// The published profile schema, the shipped profiles, and the loader's reports on broken
// profiles: each kind of mistake is named by file and field while good profiles still load.
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFieldbenchError } from '../../src-main/api/errors';
import { ConsoleLevel, SerialSettings } from '../../src-main/api/console-schemas';
import { ProfileProblem, ProfileSummary } from '../../src-main/api/schemas';
import {
  PROFILES_DIR_ENV,
  ProfileRegistry,
  type BleAdvertFacts,
  defaultProfilesDir,
  loadProfiles,
  profileSchema,
} from '../../src-main/core/profiles/profile-registry';
import { findJsonSyntaxError } from '../../src-main/core/profiles/json-syntax-error';
import {
  FIELDBENCH_SENSOR_SERVICE_UUID,
  FIELDBENCH_TEMPERATURE_UUID,
  FIELDBENCH_UPTIME_UUID,
  SMP_SERVICE_UUID,
} from '../../src-main/virtual/ble/gatt-uuids';
import { BOOT_BANNER, SensorNodeSimulator } from '../../src-main/virtual/sensor-node/sensor-node-firmware';
import { KNOWN_PROBLEM_MESSAGES, zephyrLogLine } from '../../src-main/virtual/sensor-node/sensor-node-log';
import { FIRMWARE_FIXTURES as FIXTURES } from '../helpers/fixtures';
import type {
  ConsoleKnownIssue,
  ConsoleSpec,
  CheckStepSpec,
  FirmwareStepSpec,
  InstructionStepSpec,
  MeasurementStepSpec,
  ProcedureSpec,
  StepCondition,
  WaitStepSpec,
  BleMatch,
  BleSettings,
  CountDiagnostic,
  DeviceProfile,
  GattDiagnosticSpec,
  GattIntegerParser,
  McumgrSerialFirmware,
  IdentitySpec,
  NumberDiagnostic,
  NumberLimits,
  ProfileMatch,
  ShellSettings,
  TextDiagnostic,
  UsbDfuFirmware,
} from '../../src-main/core/profiles/profile-types';

const shippedDir = defaultProfilesDir();

// Tests break profiles on purpose, reaching into parsed JSON without a type to satisfy.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseJson = Record<string, any>;

async function sensorNode(): Promise<DeviceProfile & Record<string, unknown>> {
  return JSON.parse(await readFile(join(shippedDir, 'sensor-node.json'), 'utf8'));
}

describe('the shipped profiles', () => {
  it('are found from the source tree', () => {
    expect(basename(shippedDir)).toBe('device-profiles');
  });

  it('all load without a single problem', async () => {
    const files = (await readdir(shippedDir)).filter((f) => f.endsWith('.json') && f !== 'profile.schema.json');
    const { profiles, problems } = await loadProfiles(shippedDir);
    expect(problems).toEqual([]);
    expect(profiles.map((p) => basename(p.file)).sort()).toEqual(files.sort());
  });

  it('include the sensor node, recognised by the Zephyr CDC ACM USB id', async () => {
    const registry = await ProfileRegistry.load(shippedDir);
    const profile = registry.get('fieldbench-sensor-node');
    expect(profile?.shell).toMatchObject({ baudRate: 115200, prompt: 'uart:~$ ', lineEnding: '\r\n', echo: true, commandTimeoutMs: 2000 });
    expect(profile?.diagnostics.map((d) => d.id)).toEqual([
      'uptime',
      'battery-voltage',
      'battery-charge',
      'temperature',
      'reset-cause',
      'error-log',
      'selftest',
    ]);
    expect(registry.matchUsb('2fe3', '0100').map((p) => p.id)).toEqual(['fieldbench-sensor-node']);
    expect(registry.matchUsb('2FE3', '0100')).toHaveLength(1);
    expect(registry.matchUsb('2fe3', '0001')).toEqual([]);
    expect(new RegExp(profile?.match.serialProbe?.expect ?? '', 'm').test('serial: x\nmodel: sensor-node')).toBe(true);
  });
});

describe("the sensor node's console section", () => {
  it('offers only commands the node runs, and flags the problems the node logs, with articles that exist', async () => {
    const registry = await ProfileRegistry.load(shippedDir);
    const consoleSpec = registry.get('fieldbench-sensor-node')?.console;
    const node = new SensorNodeSimulator({ seed: 3, errorLogEntries: 0 });
    try {
      for (const command of consoleSpec?.commands ?? []) {
        const answer = await node.runShellCommand(command);
        expect(answer.filter((line) => line.error), command).toEqual([]);
        // One flood at a time: the next flood command is refused while one runs.
        if (command.startsWith('log flood')) await node.runShellCommand('log flood stop');
      }
    } finally {
      node.stop();
    }
    expect(consoleSpec?.commands).toEqual(expect.arrayContaining(['device info', 'kernel uptime', 'kernel reboot cold', 'battery', 'log stream on', 'log flood 1000']));

    const shown = (line: string) => line.replace(/\u001b\[[0-9;]*m/g, '').trimEnd();
    const issuesOf = (text: string) => (consoleSpec?.knownIssues ?? []).filter((issue) => new RegExp(issue.regex, 'i').test(text)).map((issue) => issue.id);
    const logged = KNOWN_PROBLEM_MESSAGES.map((message) => {
      const [module, rest] = message.split(': ') as [string, string];
      return issuesOf(shown(zephyrLogLine(12_345, 'err', module, rest)));
    });
    expect(logged).toEqual([['i2c-bus-error'], ['fuel-gauge-no-answer'], ['flash-write-slow'], ['hci-timeout'], []]);
    expect(issuesOf('reset cause: brownout')).toEqual(['brownout-reset']);
    expect(issuesOf('reset cause: watchdog')).toEqual([]);
    expect(new RegExp(consoleSpec?.bootBanner ?? '$^', 'i').test(BOOT_BANNER)).toBe(true);

    const articles = new Set((await readdir(join(shippedDir, '..', 'knowledge-base'))).map((name) => name.replace(/\.md$/, '')));
    const linked = (consoleSpec?.knownIssues ?? []).flatMap((issue) => (issue.article ? [issue.article] : []));
    expect(linked.length).toBeGreaterThanOrEqual(3);
    for (const article of linked) expect(articles, article).toContain(article);
  });
});

// ---------------------------------------------------------------- schema and type in step

/** Keys that are required in a type (not marked optional). */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type OptionalKeys<T> = Exclude<keyof T, RequiredKeys<T>>;
/** Every key of T, each marked required or optional; `satisfies` makes tsc fail on any drift in the type. */
type KeyList<T> = Record<RequiredKeys<T>, 'required'> & Record<OptionalKeys<T>, 'optional'>;

/** The fields every procedure step has, besides its kind. */
const STEP_BASE_KEYS = { kind: 'required', id: 'required', title: 'required', instructions: 'optional', when: 'optional', retries: 'optional' } as const;

const shapes = {
  '': {
    id: 'required',
    name: 'required',
    vendor: 'required',
    description: 'optional',
    match: 'required',
    shell: 'optional',
    identity: 'optional',
    diagnostics: 'required',
    firmware: 'optional',
    ble: 'optional',
    procedures: 'optional',
    console: 'optional',
  } satisfies KeyList<DeviceProfile>,
  '/$defs/procedure': { id: 'required', name: 'required', description: 'optional', steps: 'required' } satisfies KeyList<ProcedureSpec>,
  '/$defs/console': {
    commands: 'optional',
    levelPatterns: 'optional',
    knownIssues: 'optional',
    bootBanner: 'optional',
    serial: 'optional',
  } satisfies KeyList<ConsoleSpec>,
  '/$defs/console/properties/serial': {
    dataBits: 'optional',
    parity: 'optional',
    stopBits: 'optional',
    flowControl: 'optional',
  } satisfies KeyList<NonNullable<ConsoleSpec['serial']>>,
  '/$defs/consoleLevelPattern': { regex: 'required', level: 'required' } satisfies KeyList<NonNullable<ConsoleSpec['levelPatterns']>[number]>,
  '/$defs/consoleKnownIssue': { id: 'required', title: 'required', regex: 'required', hint: 'optional', article: 'optional' } satisfies KeyList<ConsoleKnownIssue>,
  '/$defs/stepCondition': { step: 'required', is: 'required' } satisfies KeyList<StepCondition>,
  '/$defs/checkStep': {
    ...STEP_BASE_KEYS,
    diagnostic: 'optional',
    command: 'optional',
    pattern: 'optional',
    unit: 'optional',
    limits: 'optional',
    timeoutMs: 'optional',
  } satisfies KeyList<CheckStepSpec>,
  '/$defs/instructionStep': { ...STEP_BASE_KEYS, instructions: 'required' } satisfies KeyList<InstructionStepSpec>,
  '/$defs/measurementStep': { ...STEP_BASE_KEYS, instructions: 'required', unit: 'required', limits: 'required' } satisfies KeyList<MeasurementStepSpec>,
  '/$defs/waitStep': { ...STEP_BASE_KEYS, for: 'required', timeoutMs: 'required', pattern: 'optional', reset: 'optional' } satisfies KeyList<WaitStepSpec>,
  '/$defs/firmwareStep': { ...STEP_BASE_KEYS, version: 'required', image: 'optional', timeoutMs: 'optional' } satisfies KeyList<FirmwareStepSpec>,
  '/$defs/mcumgrSerialFirmware': {
    method: 'required',
    slotSize: 'required',
    lineLength: 'optional',
    signingKeys: 'optional',
    healthCheck: 'optional',
    rebootTimeoutMs: 'optional',
    resetDelayMs: 'optional',
  } satisfies KeyList<McumgrSerialFirmware>,
  '/$defs/usbDfuFirmware': {
    method: 'required',
    alt: 'optional',
    defaultAddress: 'optional',
    detachTimeoutMs: 'optional',
    reenumerateTimeoutMs: 'optional',
  } satisfies KeyList<UsbDfuFirmware>,
  '/properties/match': { usb: 'optional', serialProbe: 'optional', ble: 'optional' } satisfies KeyList<ProfileMatch>,
  '/$defs/bleMatch': { serviceUuids: 'optional', namePrefix: 'optional', manufacturerId: 'optional' } satisfies KeyList<BleMatch>,
  '/$defs/bleSettings': { diagnostics: 'required', smp: 'optional', logService: 'optional' } satisfies KeyList<BleSettings>,
  '/$defs/gattDiagnostic': {
    id: 'required',
    label: 'required',
    service: 'required',
    characteristic: 'required',
    mode: 'required',
    parser: 'required',
    limits: 'optional',
  } satisfies KeyList<GattDiagnosticSpec>,
  '/$defs/gattIntegerParser': {
    type: 'required',
    signed: 'required',
    bytes: 'required',
    endian: 'optional',
    scale: 'optional',
    offset: 'optional',
    unit: 'optional',
  } satisfies KeyList<GattIntegerParser>,
  '/$defs/gattUtf8Parser': { type: 'required' },
  '/$defs/gattBytesParser': { type: 'required' },
  '/properties/match/properties/usb/items': {
    vendorId: 'required',
    productId: 'required',
    serialNumber: 'optional',
    dfu: 'optional',
  } satisfies KeyList<
    NonNullable<ProfileMatch['usb']>[number]
  >,
  '/properties/match/properties/serialProbe': { command: 'required', expect: 'required' } satisfies KeyList<
    NonNullable<ProfileMatch['serialProbe']>
  >,
  '/properties/shell': {
    baudRate: 'required',
    prompt: 'required',
    lineEnding: 'required',
    echo: 'required',
    errorPatterns: 'required',
    commandTimeoutMs: 'required',
  } satisfies KeyList<ShellSettings>,
  '/properties/identity': { command: 'required', fields: 'required' } satisfies KeyList<IdentitySpec>,
  '/properties/identity/properties/fields': {
    model: 'required',
    serialNumber: 'required',
    firmwareVersion: 'required',
    hardwareRevision: 'optional',
  } satisfies KeyList<IdentitySpec['fields']>,
  '/$defs/numberDiagnostic': {
    type: 'required',
    id: 'required',
    label: 'required',
    command: 'required',
    timeoutMs: 'optional',
    pattern: 'required',
    unit: 'optional',
    scale: 'optional',
    limits: 'optional',
  } satisfies KeyList<NumberDiagnostic>,
  '/$defs/textDiagnostic': {
    type: 'required',
    id: 'required',
    label: 'required',
    command: 'required',
    timeoutMs: 'optional',
    pattern: 'required',
    ok: 'optional',
    warn: 'optional',
    fail: 'optional',
  } satisfies KeyList<TextDiagnostic>,
  '/$defs/countDiagnostic': {
    type: 'required',
    id: 'required',
    label: 'required',
    command: 'required',
    timeoutMs: 'optional',
    pattern: 'required',
    unit: 'optional',
    limits: 'optional',
  } satisfies KeyList<CountDiagnostic>,
  '/$defs/limits': { warn: 'optional', fail: 'optional' } satisfies KeyList<NumberLimits>,
  '/$defs/limitRange': { min: 'optional', max: 'optional' } satisfies KeyList<NonNullable<NumberLimits['warn']>>,
} as const;

type SchemaNode = {
  $ref?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: unknown;
  description?: unknown;
  enum?: unknown[];
  [key: string]: unknown;
};

function at(pointer: string): SchemaNode {
  let node = profileSchema as unknown as SchemaNode;
  for (const token of pointer.split('/').slice(1)) node = (node as Record<string, SchemaNode>)[token] as SchemaNode;
  expect(node, pointer).toBeDefined();
  return node;
}

describe('the schema and profile-types.ts', () => {
  for (const [pointer, keys] of Object.entries(shapes)) {
    it(`agree on the fields of ${pointer || 'the profile'}`, () => {
      const node = at(pointer);
      const schemaKeys = Object.keys(node.properties ?? {}).filter((k) => k !== '$schema');
      expect(schemaKeys.sort()).toEqual(Object.keys(keys).sort());
      const required = Object.entries(keys)
        .filter(([, v]) => v === 'required')
        .map(([k]) => k);
      expect([...(node.required ?? [])].sort()).toEqual(required.sort());
      expect(node.additionalProperties).toBe(false);
    });
  }

  it('agree on the line endings and the diagnostic types', () => {
    const lineEndings = { '\r\n': true, '\n': true, '\r': true } satisfies Record<ShellSettings['lineEnding'], true>;
    expect(at('/properties/shell/properties/lineEnding').enum).toEqual(Object.keys(lineEndings));
    const types = { number: true, text: true, count: true } satisfies Record<DeviceProfile['diagnostics'][number]['type'], true>;
    expect(at('/$defs/diagnostic/properties/type').enum).toEqual(Object.keys(types));
  });

  it('agree with the console contract on levels and UART framing', () => {
    expect(at('/$defs/consoleLevelPattern/properties/level').enum).toEqual(ConsoleLevel.options);
    expect(at('/$defs/console/properties/serial/properties/parity').enum).toEqual(SerialSettings.shape.parity.options);
    expect(at('/$defs/console/properties/serial/properties/flowControl').enum).toEqual(SerialSettings.shape.flowControl.options);
    expect(at('/$defs/console/properties/serial/properties/dataBits').enum).toEqual(SerialSettings.shape.dataBits.options.map((o) => o.value));
    expect(at('/$defs/console/properties/serial/properties/stopBits').enum).toEqual(SerialSettings.shape.stopBits.options.map((o) => o.value));
  });

  it('agree on the GATT parser types, widths, byte orders, modes and log services', () => {
    const parsers = { integer: true, utf8: true, bytes: true } satisfies Record<GattDiagnosticSpec['parser']['type'], true>;
    expect(at('/$defs/gattParser/properties/type').enum).toEqual(Object.keys(parsers));
    const widths: GattIntegerParser['bytes'][] = [1, 2, 4, 8];
    expect(at('/$defs/gattIntegerParser/properties/bytes').enum).toEqual(widths);
    const endians = { little: true, big: true } satisfies Record<NonNullable<GattIntegerParser['endian']>, true>;
    expect(at('/$defs/gattIntegerParser/properties/endian').enum).toEqual(Object.keys(endians));
    const modes = { read: true, notify: true } satisfies Record<GattDiagnosticSpec['mode'], true>;
    expect(at('/$defs/gattDiagnostic/properties/mode').enum).toEqual(Object.keys(modes));
    const logServices = { nus: true } satisfies Record<NonNullable<BleSettings['logService']>, true>;
    expect(at('/$defs/bleSettings/properties/logService').enum).toEqual(Object.keys(logServices));
  });

  it('allows $schema in a profile file and describes every field', () => {
    expect(at('/properties/$schema').type).toBe('string');
    const undocumented: string[] = [];
    const objectsWithoutClosure: string[] = [];
    const walk = (node: unknown, pointer: string): void => {
      if (Array.isArray(node)) return node.forEach((child, i) => walk(child, `${pointer}/${i}`));
      if (typeof node !== 'object' || node === null) return;
      const schema = node as SchemaNode;
      if (schema.properties && !schema.discriminator && schema.additionalProperties !== false) objectsWithoutClosure.push(pointer);
      for (const [name, child] of Object.entries(schema.properties ?? {})) {
        if (typeof child.description !== 'string' || child.description.length < 8) undocumented.push(`${pointer}/properties/${name}`);
      }
      for (const [key, child] of Object.entries(schema)) if (key !== 'enum' && key !== 'examples') walk(child, `${pointer}/${key}`);
    };
    walk(profileSchema, '');
    expect(undocumented).toEqual([]);
    expect(objectsWithoutClosure).toEqual([]);
  });
});

// ---------------------------------------------------------------- broken profiles

describe('loading a folder with broken profiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fieldbench-profiles-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeProfile(name: string, profile: unknown): Promise<void> {
    await writeFile(join(dir, name), typeof profile === 'string' ? profile : JSON.stringify(profile, null, 2));
  }

  /** A valid profile with its own id, so several can share a folder. */
  async function variant(id: string, change: (p: LooseJson) => void = () => undefined) {
    const profile = (await sensorNode()) as LooseJson;
    profile.id = id;
    change(profile);
    return profile;
  }

  async function loadWithGood(name: string, broken: unknown) {
    await writeProfile('good.json', await variant('good-node'));
    await writeProfile(name, broken);
    const result = await loadProfiles(dir);
    expect(result.profiles.map((p) => p.profile.id)).toEqual(['good-node']);
    for (const problem of result.problems) expect(ProfileProblem.parse(problem)).toEqual(problem);
    const forFile = result.problems.filter((p) => p.file === join(dir, name));
    expect(forFile.length, JSON.stringify(result.problems)).toBeGreaterThan(0);
    expect(result.problems.length).toBe(forFile.length);
    return forFile;
  }

  it('reports bad JSON with line and column', async () => {
    const text = '{\n  "id": "x",\n  "name": "X",\n}\n';
    const [problem] = await loadWithGood('trailing-comma.json', text);
    expect(problem).toEqual({
      file: join(dir, 'trailing-comma.json'),
      field: '',
      message: 'not valid JSON: line 4, column 1: expected a property name in double quotes, found "}" (a comma before the closing brace?)',
    });
  });

  it('reports a regex written with a single backslash, a common slip in JSON', async () => {
    const text = '{\n  "id": "x",\n  "pattern": "^Uptime: (\\d+) ms"\n}';
    const [problem] = await loadWithGood('escape.json', text);
    expect(problem?.message).toMatch(/^not valid JSON: line 3, column 25: bad escape \\d in a string \(a backslash in a pattern is written \\\\\)$/);
  });

  it('reports a value of the wrong type at its JSON pointer', async () => {
    const problems = await loadWithGood(
      'wrong-type.json',
      await variant('wrong-type', (p) => {
        p.diagnostics[2].limits.warn.min = '20';
        p.shell.echo = 'yes';
      }),
    );
    expect(problems.map((p) => `${p.field}: ${p.message}`).sort()).toEqual([
      '/diagnostics/2/limits/warn/min: must be number',
      '/shell/echo: must be boolean',
    ]);
  });

  it('reports a misspelt field as unknown, with the likely meant one, and the field it lacks', async () => {
    const problems = await loadWithGood(
      'typo.json',
      await variant('typo', (p) => {
        p.shell.baudrate = p.shell.baudRate;
        delete p.shell.baudRate;
      }),
    );
    expect(problems).toContainEqual({ file: join(dir, 'typo.json'), field: '/shell/baudrate', message: "unknown field 'baudrate' (did you mean 'baudRate'?)" });
    expect(problems).toContainEqual({ file: join(dir, 'typo.json'), field: '/shell/baudRate', message: "missing required field 'baudRate'" });
  });

  it('reports an unknown field inside a diagnostic, not a vague oneOf failure', async () => {
    const problems = await loadWithGood(
      'diag-typo.json',
      await variant('diag-typo', (p) => {
        p.diagnostics[4].okay = ['x'];
      }),
    );
    expect(problems.map((p) => [p.field, p.message])).toEqual([['/diagnostics/4/okay', "unknown field 'okay' (did you mean 'ok'?)"]]);
  });

  it('reports an unknown or missing diagnostic type once', async () => {
    const problems = await loadWithGood(
      'diag-type.json',
      await variant('diag-type', (p) => {
        p.diagnostics[0].type = 'gauge';
        delete p.diagnostics[1].type;
      }),
    );
    expect(problems.map((p) => [p.field, p.message])).toEqual([
      ['/diagnostics/0/type', 'must be one of "number", "text", "count"'],
      ['/diagnostics/1/type', "missing required field 'type'"],
    ]);
  });

  it('explains patterns, ranges and enums in words', async () => {
    const problems = await loadWithGood(
      'words.json',
      await variant('Words_Node', (p) => {
        p.match.usb[0].vendorId = '2FE3';
        p.shell.commandTimeoutMs = 10;
        p.shell.lineEnding = 'crlf';
        p.diagnostics[0].scale = 0;
        p.diagnostics[6].ok = [];
        p.identity.command = 'device\ninfo';
      }),
    );
    const byField = Object.fromEntries(problems.map((p) => [p.field, p.message]));
    expect(byField).toEqual({
      '/id': 'must be kebab-case: lower-case letters and digits joined by single hyphens, like "battery-voltage"',
      '/match/usb/0/vendorId': 'must be exactly 4 lower-case hex digits without 0x, like "2fe3"',
      '/shell/commandTimeoutMs': 'must be >= 50',
      '/shell/lineEnding': 'must be one of "\\r\\n", "\\n", "\\r"',
      '/diagnostics/0/scale': 'must not be 0',
      '/diagnostics/6/ok': 'must not be empty',
      '/identity/command': 'must be a single line: the line ending is added from shell.lineEnding',
    });
  });

  it('reports a pattern that is not a valid regex, naming the field', async () => {
    const problems = await loadWithGood(
      'bad-regex.json',
      await variant('bad-regex', (p) => {
        p.diagnostics[1].pattern = '^voltage: ([0-9.+) V';
        p.shell.errorPatterns.push('(unclosed');
      }),
    );
    expect(problems.map((p) => p.field).sort()).toEqual(['/diagnostics/1/pattern', '/shell/errorPatterns/6']);
    for (const problem of problems) expect(problem.message).toMatch(/^not a valid regex: /);
  });

  it('reports value patterns without exactly one capture group', async () => {
    const problems = await loadWithGood(
      'groups.json',
      await variant('groups', (p) => {
        p.diagnostics[1].pattern = '^voltage: (\\d+)(\\.\\d+)? V';
        p.identity.fields.model = '^model: \\S+';
        p.diagnostics[5].pattern = '(<err>)'; // a count may have groups
      }),
    );
    expect(problems.map((p) => [p.field, p.message])).toEqual([
      ['/identity/fields/model', 'must have exactly one capture group, around the value; it has 0'],
      ['/diagnostics/1/pattern', 'must have exactly one capture group, around the value; it has 2 (write other groups as (?:...))'],
    ]);
  });

  it('reports duplicate and reserved diagnostic ids within a profile', async () => {
    const problems = await loadWithGood(
      'dup-diag.json',
      await variant('dup-diag', (p) => {
        p.diagnostics[2].id = 'battery-voltage';
        p.diagnostics[3].id = 'identity';
      }),
    );
    expect(problems.map((p) => [p.field, p.message])).toEqual([
      ['/diagnostics/2/id', "the id 'battery-voltage' is already used by /diagnostics/1"],
      ['/diagnostics/3/id', "the id 'identity' is reserved for the identity reading"],
      // The renamed diagnostic was one the firmware health check relies on.
      ['/firmware/healthCheck/1', "no diagnostic has the id 'temperature'"],
    ]);
  });

  it('reports firmware health checks naming no diagnostic, and signing keys that are missing or not keys', async () => {
    await writeFile(join(dir, 'not-a-key.pem'), '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n');
    const problems = await loadWithGood(
      'fw.json',
      await variant('fw-node', (p) => {
        p.firmware = { method: 'mcumgr-serial', slotSize: 393216, healthCheck: ['battery-voltage', 'humidity'] };
      }),
    );
    expect(problems.map((p) => [p.field, p.message])).toEqual([['/firmware/healthCheck/1', "no diagnostic has the id 'humidity'"]]);

    await rm(join(dir, 'fw.json'));
    const keyProblems = await loadWithGood(
      'keys.json',
      await variant('keys-node', (p) => {
        p.firmware = { method: 'mcumgr-serial', slotSize: 393216, signingKeys: ['missing.pem', 'not-a-key.pem'] };
      }),
    );
    expect(keyProblems.map((p) => p.field)).toEqual(['/firmware/signingKeys/0', '/firmware/signingKeys/1']);
    expect(keyProblems[0]?.message).toBe('missing.pem: the key file does not exist');
    expect(keyProblems[1]?.message).toMatch(/^not-a-key\.pem: not a public key in PEM/);
  });

  it('reads the signing keys a profile names, relative to the profile', async () => {
    const pem = await readFile(join(FIXTURES, 'mcuboot', 'test-pub-ed25519.pem'), 'utf8');
    await writeFile(join(dir, 'release.pem'), pem);
    await writeProfile(
      'signed.json',
      await variant('signed-node', (p) => {
        p.firmware = { method: 'mcumgr-serial', slotSize: 393216, signingKeys: ['release.pem'] };
      }),
    );
    const registry = await ProfileRegistry.load(dir);
    expect(registry.problems).toEqual([]);
    expect(registry.signingKeysOf('signed-node')).toEqual([{ name: 'release.pem', pem }]);
    expect(registry.signingKeysOf('no-such-profile')).toEqual([]);
  });

  it('reports limits whose fail range lies inside the warn range, and lists that overlap', async () => {
    const problems = await loadWithGood(
      'limits.json',
      await variant('limits', (p) => {
        p.diagnostics[1].limits = { warn: { min: 3.3 }, fail: { min: 3.5 } };
        p.diagnostics[3].limits = { warn: { min: 70, max: 60 }, fail: { max: 50 } };
        p.diagnostics[4].fail = ['brownout', 'Watchdog'];
      }),
    );
    expect(problems.map((p) => [p.field, p.message])).toEqual([
      ['/diagnostics/1/limits/fail/min', 'the fail limit 3.5 must not be above the warn limit 3.3'],
      ['/diagnostics/3/limits/warn', 'min 70 is above max 60'],
      ['/diagnostics/3/limits/fail/max', 'the fail limit 50 must not be below the warn limit 60'],
      ['/diagnostics/4/fail/1', "'Watchdog' is also on the warn list"],
    ]);
  });

  /** Loads one variant of the sensor node alone: its problems, and the console section as loaded. */
  async function loadConsoleVariant(change: (console: LooseJson) => void) {
    await writeProfile('node.json', await variant('console-node', (p) => change(p.console)));
    const result = await loadProfiles(dir);
    for (const problem of result.problems) expect(ProfileProblem.parse(problem)).toEqual(problem);
    expect(result.profiles.map((p) => p.profile.id)).toEqual(['console-node']);
    return { problems: result.problems.map((p) => [p.field, p.message]), console: result.profiles[0]?.profile.console };
  }

  it('leaves out a known issue or level pattern whose regex is unsafe or broken, and a known-issue id used twice, and loads the rest', async () => {
    const { problems, console } = await loadConsoleVariant((c) => {
      c.knownIssues[1].regex = '(a+)+$';
      c.knownIssues[2].id = c.knownIssues[0].id;
      c.knownIssues[3].regex = 'timed out (';
      c.levelPatterns = [
        { regex: '^E \\d+ (?<message>.*)$', level: 'error' },
        { regex: '^(\\w+\\s?)*W', level: 'warn' },
      ];
    });
    expect(problems).toEqual([
      ['/console/levelPatterns/1/regex', expect.stringMatching(/could take exponential time.*; left out$/)],
      ['/console/knownIssues/1/regex', expect.stringMatching(/could take exponential time.*; left out$/)],
      ['/console/knownIssues/2/id', "the id 'i2c-bus-error' is already used by /console/knownIssues/0; left out"],
      ['/console/knownIssues/3/regex', expect.stringMatching(/^is not a valid regex: .*; left out$/)],
    ]);
    expect(console?.knownIssues?.map((issue) => issue.id)).toEqual(['i2c-bus-error', 'brownout-reset']);
    expect(console?.levelPatterns).toEqual([{ regex: '^E \\d+ (?<message>.*)$', level: 'error' }]);
    expect(console?.bootBanner).toBe('^\\*\\*\\* Booting Zephyr OS build');
  });

  it('leaves out an unsafe boot banner, and console entries the schema refuses, naming each by its place in the file', async () => {
    const { problems, console } = await loadConsoleVariant((c) => {
      c.bootBanner = '(.*)*Booting';
      c.knownIssues[0].severity = 'high';
      delete c.knownIssues[2].title;
      // After two refused entries, a duplicate id is still named by its own place in the file.
      c.knownIssues[4].id = c.knownIssues[1].id;
      c.commands.push(' padded');
      c.serial = { parity: 'odd', stopBits: 3 };
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        ['/console/knownIssues/0/severity', expect.stringContaining("unknown field 'severity'")],
        ['/console/knownIssues/2/title', "missing required field 'title'"],
        ['/console/commands/16', 'must not start or end with a space'],
        ['/console/serial/stopBits', 'must be one of 1, 1.5, 2'],
        ['/console/bootBanner', expect.stringMatching(/could take exponential time.*; left out$/)],
        ['/console/knownIssues/4/id', "the id 'fuel-gauge-no-answer' is already used by /console/knownIssues/1; left out"],
      ]),
    );
    expect(problems).toHaveLength(6);
    expect(console?.knownIssues?.map((issue) => issue.id)).toEqual(['fuel-gauge-no-answer', 'hci-timeout']);
    expect(console?.commands).toHaveLength(16);
    expect(console?.serial).toBeUndefined();
    expect(console?.bootBanner).toBeUndefined();
  });

  it('reports a console section that is not an object and loads the profile without one', async () => {
    await writeProfile('node.json', await variant('console-node', (p) => (p.console = ['log stream on'])));
    const result = await loadProfiles(dir);
    expect(result.problems.map((p) => [p.field, p.message])).toEqual([['/console', 'must be object']]);
    expect(result.profiles[0]?.profile.console).toBeUndefined();
  });

  it('reports a profile id used twice as a problem of the second file', async () => {
    await writeProfile('a.json', await variant('same-id'));
    await writeProfile('b.json', await variant('same-id'));
    const result = await loadProfiles(dir);
    expect(result.profiles.map((p) => p.file)).toEqual([join(dir, 'a.json')]);
    expect(result.problems).toEqual([
      { file: join(dir, 'b.json'), field: '/id', message: `the id 'same-id' is already used by ${join(dir, 'a.json')}; this file is skipped` },
    ]);
  });

  it('reports a file that is not a profile object at all', async () => {
    const [problem] = await loadWithGood('array.json', '[]');
    expect(problem).toMatchObject({ field: '', message: 'must be object' });
  });

  it('ignores the schema and other files, and reads a byte order mark', async () => {
    await writeFile(join(dir, 'profile.schema.json'), '{ not even json');
    await writeFile(join(dir, 'README.md'), '# notes');
    await writeFile(join(dir, 'bom.json'), `\uFEFF${JSON.stringify(await variant('bom-node'))}`);
    const result = await loadProfiles(dir);
    expect(result.problems).toEqual([]);
    expect(result.profiles.map((p) => p.profile.id)).toEqual(['bom-node']);
    expect(result.profiles[0]?.profile).not.toHaveProperty('$schema');
    expect(Object.isFrozen(result.profiles[0]?.profile.diagnostics[0])).toBe(true);
  });

  it('reports a missing folder, a file given as the folder, and an empty folder', async () => {
    const missing = join(dir, 'nope');
    expect(await loadProfiles(missing)).toEqual({
      profiles: [],
      problems: [{ file: missing, field: '', message: 'the profiles folder does not exist' }],
    });
    await writeFile(join(dir, 'plain-file'), 'x');
    expect((await loadProfiles(join(dir, 'plain-file'))).problems[0]?.message).toBe('the profiles folder is a file, not a folder');
    await mkdir(join(dir, 'empty'));
    expect((await loadProfiles(join(dir, 'empty'))).problems).toEqual([
      { file: join(dir, 'empty'), field: '', message: 'no device profiles (*.json) in the profiles folder' },
    ]);
  });

  it('reports an unreadable entry and goes on', async () => {
    await mkdir(join(dir, 'folder.json'));
    await writeProfile('good.json', await variant('good-node'));
    const result = await loadProfiles(dir);
    expect(result.profiles.map((p) => p.profile.id)).toEqual(['good-node']);
    expect(result.problems).toEqual([{ file: join(dir, 'folder.json'), field: '', message: expect.stringMatching(/^cannot be read: /) }]);
  });
});

describe('ProfileRegistry', () => {
  it('summarises, finds and matches the loaded profiles', async () => {
    const registry = await ProfileRegistry.load(shippedDir);
    const summary = registry.list().find((p) => p.id === 'fieldbench-sensor-node');
    expect(ProfileSummary.parse(summary)).toEqual({
      id: 'fieldbench-sensor-node',
      name: 'Sensor Node',
      vendor: 'Fieldbench',
      file: join(shippedDir, 'sensor-node.json'),
      transports: ['serial', 'ble'],
    });
    expect(registry.all().map((p) => p.id)).toContain('fieldbench-sensor-node');
    expect(registry.get('no-such-profile')).toBeUndefined();
    expect(registry.getOrThrow('fieldbench-sensor-node').name).toBe('Sensor Node');
    let thrown: unknown;
    try {
      registry.getOrThrow('no-such-profile');
    } catch (error) {
      thrown = error;
    }
    expect(isFieldbenchError(thrown) && thrown.code).toBe('not-found');
  });

  it('keeps the problems of a folder it could not load', async () => {
    const registry = await ProfileRegistry.load(join(tmpdir(), 'fieldbench-no-such-folder'));
    expect(registry.list()).toEqual([]);
    expect(registry.problems).toHaveLength(1);
  });
});

describe('defaultProfilesDir', () => {
  it(`prefers $${PROFILES_DIR_ENV}`, () => {
    const saved = process.env[PROFILES_DIR_ENV];
    process.env[PROFILES_DIR_ENV] = '/opt/lab-profiles';
    try {
      expect(defaultProfilesDir()).toBe('/opt/lab-profiles');
    } finally {
      if (saved === undefined) delete process.env[PROFILES_DIR_ENV];
      else process.env[PROFILES_DIR_ENV] = saved;
    }
  });
});

describe('findJsonSyntaxError', () => {
  const cases: [string, string, number, number, RegExp][] = [
    ['valid', '{"a": [1, 2.5e3, true, null, "x\\n"]}', 0, 0, /^$/],
    ['single quotes', "{'a': 1}", 1, 2, /property name in double quotes/],
    ['missing comma', '{\n "a": 1\n "b": 2\n}', 3, 2, /expected ',' or '}'/],
    ['missing colon', '{"a" 1}', 1, 6, /expected ':'/],
    ['unterminated string', '{"a": "x', 1, 9, /end of file inside a string/],
    ['line break in a string', '{"a": "x\ny"}', 1, 9, /line break/],
    ['trailing comma in an array', '[1, 2, ]', 1, 8, /closing bracket/],
    ['bare word', '{"a": yes}', 1, 7, /expected a value, found "y"/],
    ['text after the value', '{}\n}', 2, 1, /after the end/],
    ['empty file', '', 1, 1, /end of file/],
  ];
  for (const [name, text, line, column, message] of cases) {
    it(name, () => {
      const error = findJsonSyntaxError(text);
      if (line === 0) return expect(error).toBeNull();
      expect(() => JSON.parse(text)).toThrow();
      expect(error).toMatchObject({ line, column });
      expect(error?.message).toMatch(message);
    });
  }
});

// ---------------------------------------------------------------- USB devices

/** Writes one profile as the only file in dir, loads the folder, and lists its problems as "field: message". */
async function problemsOfLoneProfile(dir: string, name: string, profile: unknown): Promise<string[]> {
  await writeFile(join(dir, name), JSON.stringify(profile, null, 2));
  const { profiles, problems } = await loadProfiles(dir);
  if (problems.length === 0) expect(profiles).toHaveLength(1);
  for (const problem of problems) expect(problem.file).toBe(join(dir, name));
  return problems.map((p) => `${p.field}: ${p.message}`);
}

describe('profiles for USB devices', () => {
  it('the shipped USB DFU profiles load without a shell and claim their ids in the right DFU mode', async () => {
    const registry = await ProfileRegistry.load(shippedDir);
    const bootloader = registry.get('stm32-system-bootloader');
    expect(bootloader?.shell).toBeUndefined();
    expect(bootloader?.firmware).toEqual({ method: 'usb-dfu', alt: 0, defaultAddress: 0x08000000, reenumerateTimeoutMs: 10000 });
    const match = (vendorId: string, productId: string, dfuMode: 'runtime' | 'dfu' | null, serialNumber?: string) =>
      registry.matchUsbDevice({ vendorId, productId, dfuMode, ...(serialNumber ? { serialNumber } : {}) })?.id ?? null;
    expect(match('0483', 'df11', 'dfu')).toBe('stm32-system-bootloader');
    expect(match('0483', 'DF11', 'dfu')).toBe('stm32-system-bootloader');
    expect(match('0483', 'df11', 'runtime')).toBeNull();
    expect(match('0483', '5740', 'runtime')).toBe('stm32-dfu-runtime-board');
    expect(match('0483', '5740', null)).toBeNull();
    expect(match('1209', '0005', 'runtime')).toBe('fieldbench-dfu-gadget');
    expect(match('1209', '0006', 'dfu')).toBe('fieldbench-dfu-gadget');
    // Serial code sees only profiles with a shell: ST's VCP id is not a sensor node's port.
    expect(registry.serialProfiles().map((p) => p.id)).toEqual(['fieldbench-sensor-node']);
    expect(registry.matchSerialPort('0483', '5740')).toEqual([]);
    expect(registry.matchSerialPort('2fe3', '0100').map((p) => p.id)).toEqual(['fieldbench-sensor-node']);
    const transports = Object.fromEntries(registry.list().map((p) => [p.id, p.transports]));
    expect(transports).toMatchObject({ 'fieldbench-sensor-node': ['serial', 'ble'], 'stm32-system-bootloader': ['usb'], 'fieldbench-dfu-gadget': ['usb'] });
    for (const summary of registry.list()) expect(ProfileSummary.parse(summary)).toEqual(summary);
  });

  describe('loading USB profiles', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fieldbench-usb-profiles-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const usbProfile = (change: (p: LooseJson) => void = () => undefined): LooseJson => {
      const profile: LooseJson = {
        id: 'lab-board',
        name: 'Lab board',
        vendor: 'Lab',
        match: { usb: [{ vendorId: '0483', productId: 'df11', serialNumber: '^LAB-\\d+$', dfu: 'dfu' }] },
        diagnostics: [],
        firmware: { method: 'usb-dfu', alt: 1, defaultAddress: '0x08004000', detachTimeoutMs: 500, reenumerateTimeoutMs: 4000 },
      };
      change(profile);
      return profile;
    };

    const problemsOf = (profile: unknown) => problemsOfLoneProfile(dir, 'board.json', profile);

    it('loads every new field, the address as a number, and matches serial numbers by pattern', async () => {
      expect(await problemsOf(usbProfile())).toEqual([]);
      const registry = await ProfileRegistry.load(dir);
      expect(registry.get('lab-board')?.firmware).toEqual({ method: 'usb-dfu', alt: 1, defaultAddress: 0x08004000, detachTimeoutMs: 500, reenumerateTimeoutMs: 4000 });
      const facts = { vendorId: '0483', productId: 'df11', dfuMode: 'dfu' as const };
      expect(registry.matchUsbDevice({ ...facts, serialNumber: 'LAB-42' })?.id).toBe('lab-board');
      expect(registry.matchUsbDevice({ ...facts, serialNumber: 'OTHER-42' })).toBeNull();
      expect(registry.matchUsbDevice(facts)).toBeNull();
    });

    it('refuses what runs over a serial shell in a profile without one', async () => {
      expect(await problemsOf(usbProfile((p) => (p.match.serialProbe = { command: 'device info', expect: '^model' })))).toEqual([
        "/match/serialProbe: a serial probe runs over the device's serial shell: add shell and identity, or remove it",
      ]);
      expect(await problemsOf(usbProfile((p) => (p.firmware = { method: 'mcumgr-serial', slotSize: 393216 })))).toEqual([
        "/firmware/method: 'mcumgr-serial' firmware runs over the device's serial shell: add shell and identity, or remove it",
      ]);
      expect(
        await problemsOf(usbProfile((p) => (p.diagnostics = [{ type: 'count', id: 'errors', label: 'Errors', command: 'log errors', pattern: 'err' }]))),
      ).toEqual(["/diagnostics: reading diagnostics runs over the device's serial shell: add shell and identity, or remove it"]);
    });

    it('refuses a shell without an identity, and an identity without a shell', async () => {
      const node = (await sensorNode()) as LooseJson;
      expect(await problemsOf(usbProfile((p) => (p.shell = node.shell)))).toEqual(['/identity: a profile with a shell needs an identity command too']);
      expect(await problemsOf(usbProfile((p) => (p.identity = node.identity)))).toEqual([
        '/shell: an identity command is run over the shell: describe the shell too',
      ]);
    });

    it('refuses broken usb-dfu sections and USB matches, naming the field', async () => {
      expect(await problemsOf(usbProfile((p) => (p.firmware.slotSize = 1024)))).toEqual(["/firmware/slotSize: unknown field 'slotSize' (known fields: method, alt, defaultAddress, detachTimeoutMs, reenumerateTimeoutMs)"]);
      expect(await problemsOf(usbProfile((p) => (p.firmware.defaultAddress = '08000000')))).toEqual([
        '/firmware/defaultAddress: must be a hex address with 0x and 1 to 8 digits, like "0x08000000"',
      ]);
      expect(await problemsOf(usbProfile((p) => (p.firmware.defaultAddress = 0x08000000)))).toEqual(['/firmware/defaultAddress: must be string']);
      expect(await problemsOf(usbProfile((p) => (p.firmware.alt = 256)))).toEqual(['/firmware/alt: must be <= 255']);
      expect(await problemsOf(usbProfile((p) => (p.firmware.method = 'jtag')))).toEqual(['/firmware/method: must be one of "mcumgr-serial", "usb-dfu"']);
      expect(await problemsOf(usbProfile((p) => (p.match.usb[0].dfu = 'bootloader')))).toEqual(['/match/usb/0/dfu: must be one of "runtime", "dfu"']);
      const badPattern = await problemsOf(usbProfile((p) => (p.match.usb[0].serialNumber = '(unclosed')));
      expect(badPattern).toHaveLength(1);
      expect(badPattern[0]).toMatch(/^\/match\/usb\/0\/serialNumber: not a valid regex: /);
      expect(await problemsOf(usbProfile((p) => delete p.match.usb))).toEqual(["/match/usb: 'usb-dfu' firmware needs the USB ids the device enumerates with"]);
    });
  });
});

// ---------------------------------------------------------------- BLE devices

describe('profiles for BLE devices', () => {
  // The virtual sensor node's own UUIDs, so the profile and the simulator cannot drift apart.
  const SENSOR_SERVICE = FIELDBENCH_SENSOR_SERVICE_UUID;
  const advert = (change: Partial<BleAdvertFacts> = {}): BleAdvertFacts => ({ name: null, serviceUuids: [], manufacturerData: [], ...change });

  it('the shipped sensor node declares its GATT readings, SMP and UART log, and is recognised by its sensor service', async () => {
    const registry = await ProfileRegistry.load(shippedDir);
    const profile = registry.getOrThrow('fieldbench-sensor-node');
    expect(profile.match.ble).toEqual({ serviceUuids: [SENSOR_SERVICE] });
    expect(profile.ble?.smp).toBe(true);
    expect(profile.ble?.logService).toBe('nus');
    expect(profile.ble?.diagnostics.map((d) => [d.id, d.characteristic, d.mode, d.parser])).toEqual([
      ['temperature', FIELDBENCH_TEMPERATURE_UUID, 'notify', { type: 'integer', signed: true, bytes: 2, scale: 0.01, unit: '°C' }],
      ['uptime', FIELDBENCH_UPTIME_UUID, 'read', { type: 'integer', signed: false, bytes: 4, unit: 's' }],
    ]);
    // The same limits as the reading over the shell: one device, one judgement.
    const serialTemperature = profile.diagnostics.find((d) => d.id === 'temperature');
    expect(profile.ble?.diagnostics[0]?.limits).toEqual(serialTemperature?.type === 'number' ? serialTemperature.limits : 'no serial temperature');

    const asTheNodeAdvertises = advert({ name: 'SensorNode-0042', serviceUuids: [SMP_SERVICE_UUID, SENSOR_SERVICE], manufacturerData: [{ companyId: 0x0059 }] });
    expect(registry.matchBle(asTheNodeAdvertises).map((p) => p.id)).toEqual(['fieldbench-sensor-node']);
    const withSensorService = advert({ name: 'Sensor Node', serviceUuids: ['0000180f-0000-1000-8000-00805f9b34fb', SENSOR_SERVICE.toUpperCase()] });
    expect(registry.matchBle(withSensorService).map((p) => p.id)).toEqual(['fieldbench-sensor-node']);
    // Any Zephyr device with MCUmgr advertises SMP: that alone is not a sensor node.
    expect(registry.matchBle(advert({ serviceUuids: [SMP_SERVICE_UUID] }))).toEqual([]);
    expect(registry.matchBle(advert({ name: 'Sensor Node', serviceUuids: ['180f', 'not a uuid'] }))).toEqual([]);
    expect(registry.matchBle(advert())).toEqual([]);
  });

  describe('loading BLE profiles', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fieldbench-ble-profiles-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    /** A BLE-only tag: no shell, no USB, found by its adverts. */
    const bleProfile = (change: (p: LooseJson) => void = () => undefined): LooseJson => {
      const profile: LooseJson = {
        id: 'asset-tag',
        name: 'Asset tag',
        vendor: 'Lab',
        match: { ble: { serviceUuids: ['0x180F', '6E400001-B5A3-F393-E0A9-E50E24DCCA9E'], namePrefix: 'TAG-', manufacturerId: 0x0059 } },
        diagnostics: [],
        ble: {
          diagnostics: [
            {
              id: 'pressure',
              label: 'Pressure',
              service: '0x181A',
              characteristic: '2a6d',
              mode: 'read',
              parser: { type: 'integer', signed: false, bytes: 4, endian: 'big', scale: 0.1, offset: -5, unit: 'Pa' },
              limits: { warn: { min: 90000, max: 110000 }, fail: { min: 80000 } },
            },
            { id: 'label', label: 'Label', service: '181a', characteristic: '0000ffe1', mode: 'notify', parser: { type: 'utf8' } },
            { id: 'raw', label: 'Raw', service: '181a', characteristic: 'ffe2', mode: 'read', parser: { type: 'bytes' } },
          ],
          logService: 'nus',
        },
      };
      change(profile);
      return profile;
    };

    const problemsOf = (profile: unknown) => problemsOfLoneProfile(dir, 'tag.json', profile);

    it('loads every BLE field, with every UUID spelling turned into the lower-case 128-bit form BlueZ reports', async () => {
      expect(await problemsOf(bleProfile())).toEqual([]);
      const registry = await ProfileRegistry.load(dir);
      const profile = registry.getOrThrow('asset-tag');
      expect(profile.match.ble?.serviceUuids).toEqual(['0000180f-0000-1000-8000-00805f9b34fb', '6e400001-b5a3-f393-e0a9-e50e24dcca9e']);
      expect(profile.ble?.diagnostics.map((d) => [d.service, d.characteristic])).toEqual([
        ['0000181a-0000-1000-8000-00805f9b34fb', '00002a6d-0000-1000-8000-00805f9b34fb'],
        ['0000181a-0000-1000-8000-00805f9b34fb', '0000ffe1-0000-1000-8000-00805f9b34fb'],
        ['0000181a-0000-1000-8000-00805f9b34fb', '0000ffe2-0000-1000-8000-00805f9b34fb'],
      ]);
      expect(profile.ble?.diagnostics[0]?.parser).toEqual({ type: 'integer', signed: false, bytes: 4, endian: 'big', scale: 0.1, offset: -5, unit: 'Pa' });
      expect(Object.isFrozen(profile.match.ble?.serviceUuids)).toBe(true);
      // A BLE-only profile is not a serial one, so nothing sends it shell commands.
      expect(registry.serialProfiles()).toEqual([]);
    });

    it('matches an advert only when every criterion the profile gives holds', async () => {
      await writeFile(join(dir, 'tag.json'), JSON.stringify(bleProfile()));
      await writeFile(join(dir, 'by-name.json'), JSON.stringify(bleProfile((p) => ((p.id = 'by-name'), (p.match = { ble: { namePrefix: 'TAG-' } }), delete p.ble))));
      const registry = await ProfileRegistry.load(dir);
      expect(registry.problems).toEqual([]);
      const full = advert({
        name: 'TAG-0042',
        serviceUuids: ['6e400001-b5a3-f393-e0a9-e50e24dcca9e', '0000180f-0000-1000-8000-00805f9b34fb', '0000180a-0000-1000-8000-00805f9b34fb'],
        manufacturerData: [{ companyId: 0x004c }, { companyId: 0x0059 }],
      });
      const ids = (facts: BleAdvertFacts) => registry.matchBle(facts).map((p) => p.id);
      expect(ids(full)).toEqual(['by-name', 'asset-tag']);
      expect(ids({ ...full, serviceUuids: ['0000180f-0000-1000-8000-00805f9b34fb'] })).toEqual(['by-name']);
      expect(ids({ ...full, name: 'tag-0042' })).toEqual([]);
      expect(ids({ ...full, name: null })).toEqual([]);
      expect(ids({ ...full, manufacturerData: [{ companyId: 0x004c }] })).toEqual(['by-name']);
      expect(ids({ ...full, serviceUuids: full.serviceUuids.map((u) => u.toUpperCase()) })).toEqual(['by-name', 'asset-tag']);
    });

    it('refuses UUIDs that are not Bluetooth UUIDs, and a service named twice in two spellings', async () => {
      const uuidMessage = 'must be a Bluetooth UUID: a 16-bit SIG number like "180f" or "0x180F", or a 128-bit UUID like "6e400001-b5a3-f393-e0a9-e50e24dcca9e"';
      expect(
        await problemsOf(
          bleProfile((p) => {
            p.match.ble.serviceUuids = ['180', '0x180G', '6e400001b5a3f393e0a9e50e24dcca9e'];
            p.ble.diagnostics[0].service = ' 181a';
            p.ble.diagnostics[0].characteristic = '{2a6d}';
          }),
        ),
      ).toEqual([
        `/match/ble/serviceUuids/0: ${uuidMessage}`,
        `/match/ble/serviceUuids/1: ${uuidMessage}`,
        `/match/ble/serviceUuids/2: ${uuidMessage}`,
        `/ble/diagnostics/0/service: ${uuidMessage}`,
        `/ble/diagnostics/0/characteristic: ${uuidMessage}`,
      ]);
      expect(await problemsOf(bleProfile((p) => (p.match.ble.serviceUuids = ['180f', '0000180F-0000-1000-8000-00805F9B34FB'])))).toEqual([
        "/match/ble/serviceUuids/1: '0000180F-0000-1000-8000-00805F9B34FB' is the same service as /match/ble/serviceUuids/0",
      ]);
    });

    it('refuses a match.ble without a criterion, unknown fields, and a ble section with no adverts to match', async () => {
      expect(await problemsOf(bleProfile((p) => (p.match.ble = {})))).toEqual(['/match/ble: must not be empty']);
      expect(await problemsOf(bleProfile((p) => (p.match.ble.serviceUuids = [])))).toEqual(['/match/ble/serviceUuids: must not be empty']);
      expect(await problemsOf(bleProfile((p) => (p.match.ble.manufacturerId = 0x10000)))).toEqual(['/match/ble/manufacturerId: must be <= 65535']);
      expect(await problemsOf(bleProfile((p) => (p.match.ble.namePrefx = 'TAG')))).toEqual([
        "/match/ble/namePrefx: unknown field 'namePrefx' (did you mean 'namePrefix'?)",
      ]);
      expect(await problemsOf(bleProfile((p) => delete p.match.ble))).toEqual([
        '/ble: a ble section needs match.ble: the adverts a device of this family is recognised by',
      ]);
      expect(await problemsOf(bleProfile((p) => delete p.ble.diagnostics))).toEqual(["/ble/diagnostics: missing required field 'diagnostics'"]);
      expect(await problemsOf(bleProfile((p) => (p.ble.logService = 'uart')))).toEqual(['/ble/logService: must be one of "nus"']);
      expect(await problemsOf(bleProfile((p) => (p.ble.smp = 'yes')))).toEqual(['/ble/smp: must be boolean']);
    });

    it('refuses broken parsers, naming the field', async () => {
      const parser = (change: (parser: LooseJson) => void) => bleProfile((p) => change(p.ble.diagnostics[0].parser));
      expect(await problemsOf(parser((x) => (x.bytes = 3)))).toEqual(['/ble/diagnostics/0/parser/bytes: must be one of 1, 2, 4, 8']);
      expect(await problemsOf(parser((x) => delete x.signed))).toEqual(["/ble/diagnostics/0/parser/signed: missing required field 'signed'"]);
      expect(await problemsOf(parser((x) => (x.endian = 'middle')))).toEqual(['/ble/diagnostics/0/parser/endian: must be one of "little", "big"']);
      expect(await problemsOf(parser((x) => (x.scale = 0)))).toEqual(['/ble/diagnostics/0/parser/scale: must not be 0']);
      expect(await problemsOf(parser((x) => (x.type = 'float')))).toEqual(['/ble/diagnostics/0/parser/type: must be one of "integer", "utf8", "bytes"']);
      expect(await problemsOf(parser((x) => (x.sigend = true)))).toEqual(["/ble/diagnostics/0/parser/sigend: unknown field 'sigend' (did you mean 'signed'?)"]);
      expect(await problemsOf(bleProfile((p) => (p.ble.diagnostics[1].parser.encoding = 'latin1')))).toEqual([
        "/ble/diagnostics/1/parser/encoding: unknown field 'encoding' (known fields: type)",
      ]);
      expect(await problemsOf(bleProfile((p) => (p.ble.diagnostics[0].mode = 'indicate')))).toEqual(['/ble/diagnostics/0/mode: must be one of "read", "notify"']);
    });

    it('refuses duplicate and reserved ids among the GATT diagnostics, but lets them repeat serial ids', async () => {
      expect(
        await problemsOf(
          bleProfile((p) => {
            p.ble.diagnostics[1].id = 'pressure';
            p.ble.diagnostics[2].id = 'battery-level';
            p.ble.diagnostics.push({ ...p.ble.diagnostics[2], id: 'identity' }, { ...p.ble.diagnostics[2], id: 'serial-number' });
          }),
        ),
      ).toEqual([
        "/ble/diagnostics/1/id: the id 'pressure' is already used by /ble/diagnostics/0",
        "/ble/diagnostics/2/id: the id 'battery-level' is reserved for a reading every BLE device gets",
        "/ble/diagnostics/3/id: the id 'identity' is reserved for a reading every BLE device gets",
        "/ble/diagnostics/4/id: the id 'serial-number' is reserved for a reading every BLE device gets",
      ]);
      const node = (await sensorNode()) as LooseJson;
      expect(node.ble.diagnostics.map((d: LooseJson) => d.id)).toEqual(['temperature', 'uptime']);
      expect(node.diagnostics.map((d: LooseJson) => d.id)).toEqual(expect.arrayContaining(['temperature', 'uptime']));
    });

    it('refuses limits on a parser that gives no number, limits out of order, and limits the integer can never cross', async () => {
      expect(await problemsOf(bleProfile((p) => (p.ble.diagnostics[1].limits = { warn: { max: 1 } })))).toEqual([
        "/ble/diagnostics/1/limits: limits judge numbers, and a 'utf8' parser gives none: use an integer parser or remove the limits",
      ]);
      expect(await problemsOf(bleProfile((p) => (p.ble.diagnostics[0].limits = { warn: { min: 95000 }, fail: { min: 99000 } })))).toEqual([
        '/ble/diagnostics/0/limits/fail/min: the fail limit 99000 must not be above the warn limit 95000',
      ]);
      const byte = (parser: LooseJson, limits: LooseJson) =>
        bleProfile((p) => {
          p.ble.diagnostics[0].parser = { type: 'integer', bytes: 1, ...parser };
          p.ble.diagnostics[0].limits = limits;
        });
      expect(await problemsOf(byte({ signed: false, unit: '%' }, { warn: { min: -1, max: 255 }, fail: { max: 300 } }))).toEqual([
        '/ble/diagnostics/0/limits/warn/min: a 1-byte unsigned integer reads from 0 % to 255 %, so the limit -1 % is never crossed: check bytes, signed and scale',
        '/ble/diagnostics/0/limits/fail/max: a 1-byte unsigned integer reads from 0 % to 255 %, so the limit 300 % is never crossed: check bytes, signed and scale',
      ]);
      const sint16Centi = bleProfile((p) => {
        p.ble.diagnostics[0].parser = { type: 'integer', signed: true, bytes: 2, scale: 0.01, unit: '°C' };
        p.ble.diagnostics[0].limits = { fail: { min: -40, max: 400 } };
      });
      expect(await problemsOf(sint16Centi)).toEqual([
        '/ble/diagnostics/0/limits/fail/max: a 2-byte signed integer with this scale and offset reads from -327.68 °C to 327.67 °C, so the limit 400 °C is never crossed: check bytes, signed and scale',
      ]);
      // A negative scale swaps the ends: -128 reads 74, 127 reads -53.5; limits at the ends are fine.
      expect(await problemsOf(byte({ signed: true, scale: -0.5, offset: 10 }, { warn: { min: -53.5, max: 74 } }))).toEqual([]);
      expect(await problemsOf(byte({ signed: true, scale: -0.5, offset: 10 }, { warn: { min: -54, max: 74.5 } }))).toEqual([
        '/ble/diagnostics/0/limits/warn/min: a 1-byte signed integer with this scale and offset reads from -53.5 to 74, so the limit -54 is never crossed: check bytes, signed and scale',
        '/ble/diagnostics/0/limits/warn/max: a 1-byte signed integer with this scale and offset reads from -53.5 to 74, so the limit 74.5 is never crossed: check bytes, signed and scale',
      ]);
    });
  });
});
