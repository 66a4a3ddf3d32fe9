// A tray of virtual units to try a recipe on before touching real boards: how many, which
// board, and which of them are faulty in which way. Each fault is a named preset over the
// core's fault knobs, so the operator picks "self-test fails (sensor)" rather than a knob.
import type { VirtualFaults, VirtualModel } from '../../src-main/api/schemas';

export const TRAY_MIN = 1;
/** The contract's bound for devices.attachVirtualMany. */
export const TRAY_MAX = 16;

export interface FaultPreset {
  key: string;
  label: string;
  faults: VirtualFaults;
}

/** An SMP stall longer than any station step waits, so the unit is judged by its deadline. */
const STOPS_ANSWERING_MS = 600_000;
/** Far enough into the upload that flashing has visibly started; well short of any image. */
const UNPLUG_AT_BYTES = 16_384;

const sensorNodeFaults: readonly FaultPreset[] = [
  { key: 'selftest-sensor', label: 'self-test fails (sensor)', faults: { failingSelftestPart: 'sensor' } },
  { key: 'selftest-flash', label: 'self-test fails (flash)', faults: { failingSelftestPart: 'flash' } },
  { key: 'selftest-radio', label: 'self-test fails (radio)', faults: { failingSelftestPart: 'radio' } },
  { key: 'refuse-image', label: 'bootloader refuses the image', faults: { refuseImage: true } },
  { key: 'battery-flat', label: 'battery flat (3.0 V)', faults: { batteryVolts: 3 } },
  { key: 'stops-answering', label: 'stops answering', faults: { stallMs: STOPS_ANSWERING_MS } },
  { key: 'unplugged', label: 'unplugged mid-upload', faults: { dropAtReceivedBytes: UNPLUG_AT_BYTES } },
];

const usbDfuFaults: readonly FaultPreset[] = [
  { key: 'flash-fails', label: 'flash fails to program', faults: { dfuError: { status: 'errPROG' } } },
  { key: 'verify-fails', label: 'flash fails to verify', faults: { dfuError: { status: 'errVERIFY' } } },
  { key: 'usb-stall', label: 'stalls a control request', faults: { usbStallNext: true } },
];

export function faultPresetsFor(model: VirtualModel): readonly FaultPreset[] {
  return model === 'sensor-node' ? sensorNodeFaults : usbDfuFaults;
}

/** One faulty unit of the tray: its number (1-based, as the tray is counted) and a preset's key. */
export interface TrayFault {
  unit: number;
  preset: string;
}

export type TrayUnits = { faults?: VirtualFaults }[];

/**
 * The units of devices.attachVirtualMany, in tray order. A fault on a unit past the count,
 * or a preset the model does not have, is left out rather than guessed at; two faults on
 * one unit combine.
 */
export function trayUnits(model: VirtualModel, count: number, faults: readonly TrayFault[]): TrayUnits {
  const size = Math.min(TRAY_MAX, Math.max(TRAY_MIN, Math.trunc(count)));
  const presets = faultPresetsFor(model);
  const units: TrayUnits = Array.from({ length: size }, () => ({}));
  for (const fault of faults) {
    const preset = presets.find((p) => p.key === fault.preset);
    const unit = units[fault.unit - 1];
    if (!preset || !unit) continue;
    unit.faults = { ...unit.faults, ...preset.faults };
  }
  return units;
}

/** Why a chosen fault will not be sent: its unit is past a tray made smaller after it was chosen. */
export function faultProblem(fault: TrayFault, count: number): string | null {
  return fault.unit > count ? `Unit ${fault.unit} is not in a tray of ${count}: this fault is left out.` : null;
}

/** The count field's value, or why it cannot be used. */
export function parseTrayCount(text: string): { count: number } | { problem: string } {
  const count = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(count) || count < TRAY_MIN || count > TRAY_MAX) {
    return { problem: `Enter a whole number of units from ${TRAY_MIN} to ${TRAY_MAX}.` };
  }
  return { count };
}
