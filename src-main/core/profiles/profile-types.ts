// The shape of a device profile, as the code uses it after device-profiles/profile.schema.json
// has accepted the file. The JSON Schema is the published truth; this type mirrors it and
// test/unit/profile-schema.test.ts keeps the two in step.

export interface DeviceProfile {
  /** Stable id, kebab-case: "fieldbench-sensor-node". */
  id: string;
  name: string;
  vendor: string;
  description?: string;
  /** How to recognise a device as this family. */
  match: ProfileMatch;
  /** How to talk to its line-based shell over serial; absent for devices Fieldbench only flashes (a USB DFU bootloader). */
  shell?: ShellSettings;
  /** The command that tells who the device is, and how to read its answer; present exactly when shell is. */
  identity?: IdentitySpec;
  /** Readings shown on the device page, in this order (read over the shell, so empty without one). */
  diagnostics: DiagnosticSpec[];
  /** How its firmware is updated; absent: no firmware update is offered. */
  firmware?: FirmwareSpec;
  /** What it offers over Bluetooth LE beyond Device Information and Battery; needs match.ble. */
  ble?: BleSettings;
  /**
   * Guided test procedures, in the order they are offered. A procedure that does not check out
   * is left out (and reported as a profile problem) while the rest of the profile loads.
   */
  procedures?: ProcedureSpec[];
  /** What the live log console knows about this family's log: commands, levels, known issues, boot banner. */
  console?: ConsoleSpec;
}

/** The live log console's knowledge of a device family. */
export interface ConsoleSpec {
  /** Commands offered for completion (the identity and diagnostics commands are offered anyway). */
  commands?: string[];
  /** Level patterns for log formats the built-in ones (Zephyr, ESP-IDF, syslog) do not read. */
  levelPatterns?: { regex: string; level: 'error' | 'warn' | 'info' | 'debug' | 'trace' }[];
  /** Lines that mean a known problem, flagged in the console as they arrive. */
  knownIssues?: ConsoleKnownIssue[];
  /** A regex for the line the device prints when it boots: the console marks a reboot there. */
  bootBanner?: string;
  /** UART framing other than 8N1 without flow control; the baud rate is shell.baudRate. */
  serial?: {
    dataBits?: 5 | 6 | 7 | 8;
    parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
    stopBits?: 1 | 1.5 | 2;
    flowControl?: 'none' | 'rts-cts' | 'xon-xoff';
  };
}

export interface ConsoleKnownIssue {
  /** Unique within the profile, kebab-case. */
  id: string;
  title: string;
  /** Matched ignoring case against each line's text (without colours); checked like knowledge-base log patterns. */
  regex: string;
  /** What to do about it, in a sentence. */
  hint?: string;
  /** The knowledge-base article that explains it. */
  article?: string;
}

/**
 * A profile that talks over a serial port: it has a shell and an identity command. The
 * serial registry and everything that runs over a device's shell only ever see these.
 */
export type SerialProfile = DeviceProfile & { shell: ShellSettings; identity: IdentitySpec };

export function isSerialProfile(profile: DeviceProfile): profile is SerialProfile {
  return profile.shell !== undefined && profile.identity !== undefined;
}

export type FirmwareSpec = McumgrSerialFirmware | UsbDfuFirmware;

export interface McumgrSerialFirmware {
  /** MCUboot images through SMP (MCUmgr) on the shell's serial port. */
  method: 'mcumgr-serial';
  /** Bytes in an image slot; a larger image is refused up front. */
  slotSize: number;
  /** Longest SMP serial line, marker and newline included (Zephyr's default: 127). */
  lineLength?: number;
  /** PEM files, relative to the profile, that images must be signed with; absent or empty: unsigned allowed. */
  signingKeys?: string[];
  /** Diagnostics that must not read 'fail' after the new image boots; absent: all of them. */
  healthCheck?: string[];
  /** How long the device may take to come back after a reset (a swap moves a whole slot). */
  rebootTimeoutMs?: number;
  /** How long it keeps running after answering a reset request (Zephyr: 250 ms by default). */
  resetDelayMs?: number;
}

export interface UsbDfuFirmware {
  /** USB DFU 1.1, or ST's DfuSe when the device's DFU version says so (bcdDFUVersion 0x011a). */
  method: 'usb-dfu';
  /** The alternate setting to flash through (default 0). */
  alt?: number;
  /** DfuSe: where a raw binary goes ("0x08000000" in the file, a number here). */
  defaultAddress?: number;
  /** How long the application may take to detach after DFU_DETACH; overrides the device's wDetachTimeOut. */
  detachTimeoutMs?: number;
  /** How long the device may take to come back on the bus in its other mode (detach, leave, reset). */
  reenumerateTimeoutMs?: number;
}

/** One USB id a profile claims, optionally narrowed by serial number and DFU mode. */
export interface UsbMatch {
  /** Lower-case 4-digit hex. */
  vendorId: string;
  productId: string;
  /** A regex the device's serial number must match (no flags); a device without one never matches. */
  serialNumber?: string;
  /** The entry matches only when the device offers a DFU interface in this mode. */
  dfu?: 'runtime' | 'dfu';
}

export interface ProfileMatch {
  /** USB devices, or the USB-serial adapters serial devices sit behind. */
  usb?: UsbMatch[];
  /**
   * Sent to an unknown port only when the user asks to identify it, or for a USB match.
   * expect is a regex over the answer's lines joined with '\n', tested with the 'm' flag.
   */
  serialProbe?: { command: string; expect: string };
  /** Bluetooth LE adverts: a device matches when every criterion given holds. */
  ble?: BleMatch;
}

/** At least one criterion; service UUIDs are in the canonical lower-case 128-bit form once loaded. */
export interface BleMatch {
  /** The advert (with its scan response) lists every one of these services. */
  serviceUuids?: string[];
  /** The advertised name starts with this, case and all. */
  namePrefix?: string;
  /** The advert carries manufacturer data under this Bluetooth SIG company identifier. */
  manufacturerId?: number;
}

export interface BleSettings {
  /** Characteristics read as diagnostics, in this order, after Device Information and Battery. */
  diagnostics: GattDiagnosticSpec[];
  /** The device has MCUmgr's SMP GATT service, so its firmware can be updated over BLE. */
  smp?: boolean;
  /** It logs over the Nordic UART Service, shown as its live log. */
  logService?: 'nus';
}

/** One characteristic shown as a reading; UUIDs are canonical (lower-case 128-bit) once loaded. */
export interface GattDiagnosticSpec {
  id: string;
  label: string;
  service: string;
  characteristic: string;
  /** 'read' reads the value once per diagnostics read; 'notify' also follows its notifications. */
  mode: 'read' | 'notify';
  parser: GattValueParser;
  /** Only for an integer parser: judged on the value after scale and offset. */
  limits?: NumberLimits;
}

export type GattValueParser = GattIntegerParser | GattUtf8Parser | GattBytesParser;

/** A two's-complement or unsigned integer filling the whole value: shown as raw × scale + offset. */
export interface GattIntegerParser {
  type: 'integer';
  signed: boolean;
  bytes: 1 | 2 | 4 | 8;
  /** Byte order; GATT's own is little-endian, the default. */
  endian?: 'little' | 'big';
  scale?: number;
  offset?: number;
  unit?: string;
}

/** Text in UTF-8; trailing NUL padding is dropped. */
export interface GattUtf8Parser {
  type: 'utf8';
}

/** The value as lower-case hex, for what has no better reading. */
export interface GattBytesParser {
  type: 'bytes';
}

export interface ShellSettings {
  baudRate: number;
  /** The prompt the shell prints when it is ready, literal text ("uart:~$ "). */
  prompt: string;
  /** What ends a command line we send. */
  lineEnding: '\r\n' | '\n' | '\r';
  /** The shell echoes what is typed; the echo is removed from answers. */
  echo: boolean;
  /** Regexes over an answer's lines that mean the command failed. */
  errorPatterns: string[];
  /** Deadline for one command, unless a diagnostic sets its own. */
  commandTimeoutMs: number;
}

export interface IdentitySpec {
  command: string;
  /** One regex per field, with one capture group, matched line by line. */
  fields: {
    model: string;
    serialNumber: string;
    firmwareVersion: string;
    hardwareRevision?: string;
  };
}

export type DiagnosticSpec = NumberDiagnostic | TextDiagnostic | CountDiagnostic;

interface DiagnosticBase {
  id: string;
  label: string;
  command: string;
  /** Overrides shell.commandTimeoutMs for slow commands (a self-test). */
  timeoutMs?: number;
}

/** A number captured from the answer (first matching line), optionally scaled, judged against limits. */
export interface NumberDiagnostic extends DiagnosticBase {
  type: 'number';
  /** Regex with one capture group holding the number. */
  pattern: string;
  unit?: string;
  /** Multiply the captured value (ms → s: 0.001). */
  scale?: number;
  limits?: NumberLimits;
}

/**
 * The acceptable range, inclusive: a value exactly at a limit is inside it. Fail is checked
 * before warn. A count that should warn at 1 or more and fail at 10 or more has warn.max 0
 * and fail.max 9. The loader refuses fail limits inside the warn range.
 */
export interface NumberLimits {
  warn?: { min?: number; max?: number };
  fail?: { min?: number; max?: number };
}

/** A word or phrase captured from the answer, judged by which list it is on. */
export interface TextDiagnostic extends DiagnosticBase {
  type: 'text';
  pattern: string;
  /**
   * Values that are fine; anything on warn or fail lists is judged so; anything else is 'warn'
   * if ok is given, 'ok' if not. Compared ignoring case; fail wins over warn over ok.
   */
  ok?: string[];
  warn?: string[];
  fail?: string[];
}

/** How many answer lines match a pattern (entries in an error log), judged against limits. */
export interface CountDiagnostic extends DiagnosticBase {
  type: 'count';
  pattern: string;
  unit?: string;
  limits?: NumberLimits;
}

// ---------------------------------------------------------------- procedures

/** A guided test procedure: ordered steps, run one at a time against one device. */
export interface ProcedureSpec {
  /** Kebab-case, unique in the profile: "bench-bring-up". */
  id: string;
  name: string;
  description?: string;
  steps: ProcedureStepSpec[];
}

export type ProcedureStepSpec = CheckStepSpec | InstructionStepSpec | MeasurementStepSpec | WaitStepSpec | FirmwareStepSpec;
export type ProcedureStepKind = ProcedureStepSpec['kind'];

/** What every step has. */
export interface StepBase {
  /** Kebab-case, unique in the procedure; `when` and answer files refer to it. */
  id: string;
  title: string;
  /** What the operator reads (or does) during the step. */
  instructions?: string;
  /** Run the step only when an earlier step ended so; otherwise it is skipped with the reason. */
  when?: StepCondition;
  /** Automated steps: how many more times a failed attempt is tried before the step fails (default 0). */
  retries?: number;
}

export type StepResult = 'pass' | 'fail' | 'skipped';

export interface StepCondition {
  /** The id of an earlier step. */
  step: string;
  is: StepResult;
}

/** What a reading must be to pass: inside a range, equal to a value, matching a regex, or one of a list. */
export type StepLimits = RangeLimit | EqualsLimit | RegexLimit | OneOfLimit;
/** Inclusive at both ends; at least one end. */
export interface RangeLimit {
  min?: number;
  max?: number;
}
export interface EqualsLimit {
  equals: string | number;
}
/** A regex (no flags) the reading's text must match. */
export interface RegexLimit {
  regex: string;
}
export interface OneOfLimit {
  /** Compared with the reading as text, ignoring case. */
  oneOf: (string | number)[];
}

/**
 * An automated check: a diagnostic of the profile read over the device's transport (the
 * serial shell, or GATT for a BLE device), or a shell command with a capture pattern.
 * Exactly one of diagnostic and command.
 */
export interface CheckStepSpec extends StepBase {
  kind: 'check';
  /** A diagnostic id from diagnostics (serial) or ble.diagnostics (BLE). */
  diagnostic?: string;
  /** A shell command; its answer's first line matching pattern gives the reading. */
  command?: string;
  /** With command: a regex over the answer's lines, with at most one capture group (the reading); without one, the matching line. */
  pattern?: string;
  unit?: string;
  /** Absent, only for a diagnostic: the diagnostic's own limits judge it (fail fails the step). */
  limits?: StepLimits;
  /** Deadline for the command or read; the profile's command deadline otherwise. */
  timeoutMs?: number;
}

/** The operator does something and confirms it, or fails the step with a reason. */
export interface InstructionStepSpec extends StepBase {
  kind: 'instruction';
  instructions: string;
}

/** The operator measures a value (a multimeter, a current probe) and enters it. */
export interface MeasurementStepSpec extends StepBase {
  kind: 'measurement';
  instructions: string;
  unit: string;
  limits: StepLimits;
}

/** Waits, always with a deadline, for the device to reboot, for a log line, or for the operator to press a button. */
export interface WaitStepSpec extends StepBase {
  kind: 'wait';
  for: 'reboot' | 'log-line' | 'button';
  timeoutMs: number;
  /** for 'log-line': a regex over each line of the device's console (serial) or its UART log (BLE). */
  pattern?: string;
  /** for 'reboot': the step resets the device itself over SMP (MCUmgr) rather than waiting for the operator to. */
  reset?: 'smp';
}

/** Ensures the device runs a firmware version, through the firmware update job if it does not. */
export interface FirmwareStepSpec extends StepBase {
  kind: 'firmware';
  /** The version it must run, as the identity reports it: "1.5.0". */
  version: string;
  /** An image file, relative to the profile; absent: the operator supplies one when the step needs it. */
  image?: string;
  /** Deadline for the whole update (upload, swap, reboot, health check); 10 minutes by default. */
  timeoutMs?: number;
}
