// How Bluetooth LE things read on screen: service UUIDs by name, signal strength as bars,
// the scan's countdown, manufacturer data, and a followed device's state. Kept out of
// components so the wording is tested under Node and the same on every screen.
import type { BleAdvert, BleFollowState, BleInfo, BleScanState } from '../../src-main/api/schemas';

/** The device id the core gives a BLE device: its address behind a fixed prefix. */
export function bleDeviceId(address: string): string {
  return `ble:${address}`;
}

// The Bluetooth base UUID: a 16-bit SIG number n is 0000nnnn-0000-1000-8000-00805f9b34fb.
const SIG_UUID = /^0000([0-9a-f]{4})-0000-1000-8000-00805f9b34fb$/;

/** Services an engineer meets on these devices, by their canonical lower-case 128-bit UUID. */
export const KNOWN_BLE_SERVICES: Readonly<Record<string, string>> = {
  '00001800-0000-1000-8000-00805f9b34fb': 'Generic Access',
  '00001801-0000-1000-8000-00805f9b34fb': 'Generic Attribute',
  '0000180a-0000-1000-8000-00805f9b34fb': 'Device Information',
  '0000180f-0000-1000-8000-00805f9b34fb': 'Battery',
  '0000181a-0000-1000-8000-00805f9b34fb': 'Environmental Sensing',
  '0000fe59-0000-1000-8000-00805f9b34fb': 'Nordic Secure DFU',
  '8d53dc1d-1db7-4cd3-868b-8a527460aa84': 'SMP (MCUmgr)',
  '6e400001-b5a3-f393-e0a9-e50e24dcca9e': 'Nordic UART',
};

/** "180a" for a SIG-assigned UUID, "8d53dc1d…" for a vendor one: short enough for a table cell. */
export function shortBleUuid(uuid: string): string {
  const lower = uuid.toLowerCase();
  const sig = SIG_UUID.exec(lower);
  return sig ? sig[1]! : `${lower.slice(0, 8)}…`;
}

export interface BleServiceLabel {
  uuid: string;
  /** "180a", "8d53dc1d…" */
  short: string;
  /** A name when the service is a known one, else null. */
  name: string | null;
}

export function bleServiceLabel(uuid: string): BleServiceLabel {
  const lower = uuid.toLowerCase();
  return { uuid: lower, short: shortBleUuid(lower), name: KNOWN_BLE_SERVICES[lower] ?? null };
}

export const SIGNAL_BARS = 4;

/**
 * Signal strength as 0..4 bars, from RSSI in dBm: −60 and above is a device beside the
 * bench, below −90 one that connects only now and then. Null when it has not been heard.
 */
export function rssiBars(rssi: number | null): number | null {
  if (rssi === null) return null;
  if (rssi >= -60) return 4;
  if (rssi >= -70) return 3;
  if (rssi >= -80) return 2;
  if (rssi >= -90) return 1;
  return 0;
}

const SIGNAL_WORDS = ['very weak', 'weak', 'fair', 'good', 'strong'] as const;

/** "strong" … "very weak": the bars in a word, for a screen reader; null when not heard lately. */
export function signalWord(rssi: number | null): string | null {
  const bars = rssiBars(rssi);
  return bars === null ? null : SIGNAL_WORDS[bars]!;
}

/** "−62 dBm (strong)", for a tooltip. */
export function rssiText(rssi: number | null): string {
  const word = signalWord(rssi);
  return rssi === null || word === null ? 'not heard lately' : `${dbm(rssi)} (${word})`;
}

/** "−62 dBm" with a true minus sign, as instruments print it. */
export function dbm(value: number): string {
  return `${value < 0 ? '−' : ''}${Math.abs(value)} dBm`;
}

export function txPowerText(txPower: number | null): string {
  return txPower === null ? '—' : dbm(txPower);
}

/** How many data bytes of an advert's manufacturer data are shown before it is cut with "…". */
export const MANUFACTURER_BYTES_SHOWN = 12;

/** "0x0059: 0102a0ff…": the SIG company id in hex, then the data as the advert carries it. */
export function manufacturerDataText(entry: BleAdvert['manufacturerData'][number]): string {
  const company = `0x${entry.companyId.toString(16).padStart(4, '0')}`;
  const shown = entry.dataHex.slice(0, MANUFACTURER_BYTES_SHOWN * 2);
  const data = shown.length < entry.dataHex.length ? `${shown}…` : shown;
  return data ? `${company}: ${data}` : `${company}: (no data)`;
}

export function advertName(advert: Pick<BleAdvert, 'name'>): string {
  return advert.name ?? '(no name)';
}

export type ScanPhase = 'idle' | 'scanning' | 'finished' | 'failed';

export interface ScanStatus {
  phase: ScanPhase;
  text: string;
}

/**
 * The scan's line: "Scanning… 7 s left" counting down to endsAt, "Scan finished" after, and
 * the core's problem when the scan died. `ranOnce` tells a finished scan from none at all.
 */
export function scanStatus(state: BleScanState | null, now: number, ranOnce: boolean): ScanStatus {
  if (state?.scanning) {
    const endsAt = state.endsAt === null ? Number.NaN : Date.parse(state.endsAt);
    if (Number.isNaN(endsAt)) return { phase: 'scanning', text: 'Scanning…' };
    const left = Math.ceil((endsAt - now) / 1000);
    return { phase: 'scanning', text: left > 0 ? `Scanning… ${left} s left` : 'Scanning… finishing' };
  }
  if (state?.problem) return { phase: 'failed', text: `Scan stopped: ${state.problem}` };
  if (ranOnce) return { phase: 'finished', text: 'Scan finished' };
  return { phase: 'idle', text: 'Not scanning' };
}

/** Scan seconds as the contract takes them: a whole number from 1 to 60; null for anything else. */
export function parseScanSeconds(text: string): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const seconds = Number.parseInt(text, 10);
  return seconds >= 1 && seconds <= 60 ? seconds : null;
}

export const DEFAULT_SCAN_SECONDS = 10;

/** "Connected · MTU 247" or "Not connected": how the link stands. */
export function bleConnectionText(ble: Pick<BleInfo, 'connected' | 'mtu'>): string {
  if (!ble.connected) return 'Not connected';
  return ble.mtu === null ? 'Connected' : `Connected · MTU ${ble.mtu}`;
}

export const addressTypeLabel: Record<BleInfo['addressType'], string> = {
  public: 'public',
  random: 'random static',
};

export type FollowTone = 'ok' | 'busy' | 'warn' | 'neutral';

export interface FollowView {
  tone: FollowTone;
  text: string;
}

/**
 * The follow line on a device page. The core's problem wins (it says what to do); a request
 * on its way says which way it goes.
 */
export function followView(state: Pick<BleFollowState, 'following' | 'log' | 'problem'> | null, pending: 'follow' | 'unfollow' | null): FollowView {
  if (pending === 'follow') return { tone: 'busy', text: 'Connecting to follow the device…' };
  if (pending === 'unfollow') return { tone: 'busy', text: 'Stopping…' };
  if (!state?.following) return { tone: 'neutral', text: 'Not following' };
  if (state.problem) return { tone: 'warn', text: state.problem };
  return { tone: 'ok', text: state.log ? 'Following live: values and the device log' : 'Following live: values' };
}
