// Attaches a tray of virtual devices in one request, all or nothing: a tray half attached is
// not what the operator asked for, and the units that did attach would linger unnoticed.
// They attach one after another, not at once: each takes a pseudo-terminal and a discovery
// pass, and the order of the tray is the order of the list the operator sees.
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { Device, VirtualFaults } from '../../api/schemas';

export interface AttachVirtualManyDeps {
  attach(faults: VirtualFaults | undefined): Promise<Device>;
  detach(deviceId: string): Promise<unknown>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export async function attachVirtualMany(units: readonly { faults?: VirtualFaults | undefined }[], deps: AttachVirtualManyDeps): Promise<Device[]> {
  const attached: Device[] = [];
  for (const [index, unit] of units.entries()) {
    try {
      attached.push(await deps.attach(unit.faults));
    } catch (error) {
      const left: string[] = [];
      for (const device of [...attached].reverse()) {
        await deps.detach(device.id).catch((detachError: unknown) => {
          left.push(device.path);
          deps.log('warn', `attach virtual devices: could not detach ${device.path} after unit ${index + 1} failed: ${String(detachError)}`);
        });
      }
      const why = isFieldbenchError(error) ? error.message : String(error);
      const undone =
        left.length === 0
          ? `the ${attached.length} attached before it were detached again`
          : `of the ${attached.length} attached before it, ${left.join(', ')} could not be detached: detach ${left.length === 1 ? 'it' : 'them'} from the device list`;
      throw new FieldbenchError(
        {
          code: isFieldbenchError(error) ? error.code : 'internal',
          message: `virtual unit ${index + 1} of ${units.length} could not be attached: ${why}; ${undone}`,
          step: 'attach virtual devices',
          hint: isFieldbenchError(error) && error.hint ? error.hint : 'Attach fewer units, or fix what the message names, and try again.',
        },
        { cause: error },
      );
    }
  }
  return attached;
}
