// The station's operations over the real core: the device directory and its change event,
// the two firmware job owners (SMP and USB DFU), the procedure runner, and SMP sessions and
// the USB registry for what happens after the test (confirm, reset).
import { FieldbenchError, isFieldbenchError } from '../../api/errors';
import type { Device, FirmwareJob } from '../../api/schemas';
import type { DeviceDirectory } from '../devices/device-directory';
import type { EventBus } from '../event-bus';
import { usbDfuFirmwareOf } from '../firmware/dfu-preflight';
import type { DfuUpdates } from '../firmware/dfu-updates';
import type { FirmwareUpdates } from '../firmware/firmware-updates';
import { activeSlot, confirmRunningImage } from '../firmware/image-slots';
import { rebootTimeoutOf, resetAndReconnect, type UpdateSessions } from '../firmware/update-session';
import type { ProcedureRunner } from '../procedures/procedure-runner';
import { guardTransfer } from '../../protocols/dfu/dfu-client';
import { DEFAULT_REENUMERATE_TIMEOUT_MS, identityOf, type UsbRegistry } from '../usb/usb-registry';
import type { StationOperations } from './station-operations';

export interface CoreStationOperationsDeps {
  directory: DeviceDirectory;
  events: EventBus;
  firmware: FirmwareUpdates;
  dfuFirmware: DfuUpdates;
  procedures: ProcedureRunner;
  smpSessions: UpdateSessions;
  usb: UsbRegistry;
}

/** Each USB request of the reset (open, reset): a device that answers none within this is not resetting. */
const USB_REQUEST_MS = 5000;
/** Between looks for a USB device that must first leave the bus before it comes back. */
const REENUMERATION_POLL_MS = 50;

export function coreStationOperations(deps: CoreStationOperationsDeps): StationOperations {
  const { directory, events, firmware, dfuFirmware, procedures, smpSessions, usb } = deps;
  const jobsOf = (jobId: string) => (dfuFirmware.owns(jobId) ? dfuFirmware : firmware);

  return {
    devices: () => directory.list(),
    onDevicesChanged: (listener) => events.on('devices.changed', listener),
    identify: (deviceId) => directory.identify(deviceId),

    flash: ({ deviceId, fileName, bytes, options }) =>
      directory.isUsb(deviceId)
        ? dfuFirmware.start({ deviceId, fileName, bytes, options, caseId: null })
        : // The recipe's own keys were checked when it loaded; the job checks the profile's.
          firmware.start({ deviceId, fileName, bytes, options, keys: [], caseId: null }),
    waitFirmware: (jobId) => jobsOf(jobId).wait(jobId),
    cancelFirmware: (jobId) => {
      const jobs = jobsOf(jobId);
      let job: FirmwareJob;
      try {
        job = jobs.get(jobId);
      } catch {
        return false;
      }
      if (job.state !== 'running' || !job.cancellable) return false;
      try {
        jobs.cancel(jobId);
        return true;
      } catch (error) {
        if (isFieldbenchError(error) && error.code === 'device-busy') return false;
        throw error;
      }
    },
    onFirmwareProgress: (listener) => events.on('firmware.progress', listener),
    onFirmwareJob: (listener) => events.on('firmware.job', listener),

    startProcedure: ({ deviceId, procedureId, operator, onFail }) =>
      procedures.start({ deviceId, procedureId, onFail, ...(operator !== null ? { operator } : {}) }),
    procedureRun: (runId) => procedures.get(runId),
    onProcedureRun: (listener) => events.on('procedures.run', listener),
    abortProcedure: async (runId, reason) => {
      const run = procedures.get(runId);
      if (run.finishedAt !== null) return run;
      return procedures.control(runId, 'abort', reason);
    },

    confirmImage: async (deviceId, bootloaderHash) => {
      await smpSessions.withSession(deviceId, 'confirm image', (session) =>
        confirmRunningImage(session.smp(), bootloaderHash, { label: session.label, step: 'confirm image', hint: 'It goes back to its previous image at the next reset; run the unit again.' }),
      );
    },

    resetDevice: async (deviceId) => (directory.isUsb(deviceId) ? resetUsb(usb, deviceId) : resetSmp(smpSessions, directory, deviceId)),
  };
}

/** SMP reset, then the device followed until it answers again; the version its running slot reports. */
async function resetSmp(sessions: UpdateSessions, directory: DeviceDirectory, deviceId: string): Promise<string | null> {
  const version = await sessions.withSession(deviceId, 'reset', async (opened) => {
    const back = await resetAndReconnect(opened, rebootTimeoutOf(opened.profile));
    return activeSlot(await back.smp().imageState())?.version ?? null;
  });
  // The list shows the version it runs now; a failure here does not undo the reset.
  const device = await directory.identify(deviceId).catch((): Device | null => null);
  return version ?? device?.identity?.firmwareVersion ?? null;
}

/**
 * A USB reset: a DFU bootloader leaves DFU mode and starts the firmware, an application
 * re-enumerates. Followed until the application is back; the version its descriptor reports.
 */
async function resetUsb(usb: UsbRegistry, deviceId: string): Promise<string | null> {
  const deadlineMs = usbDfuFirmwareOf(usb.profileOf(deviceId))?.reenumerateTimeoutMs ?? DEFAULT_REENUMERATE_TIMEOUT_MS;
  return usb.withDevice(
    deviceId,
    'reset',
    async (session) => {
      const { device, label } = session;
      try {
        if (!device.opened) await guardTransfer(label, 'open device', 'reset', () => device.open(), { timeoutMs: USB_REQUEST_MS });
        await guardTransfer(label, 'USB reset', 'reset', () => device.reset(), { timeoutMs: USB_REQUEST_MS });
      } catch (error) {
        // Resetting drops the device off the bus; losing it mid-request is that reset.
        if (!isFieldbenchError(error) || error.code !== 'device-gone') {
          throw new FieldbenchError(
            {
              code: isFieldbenchError(error) && error.code === 'timeout' ? 'timeout' : 'device-error',
              message: `the USB reset failed: ${error instanceof Error ? error.message : String(error)}`,
              device: label,
              step: 'reset',
              hint: 'Unplug the unit and plug it back in to start its firmware.',
            },
            { cause: error },
          );
        }
      }
      // Until the registry has seen the device leave, it still offers the session that was reset.
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const back = await usb.waitForMode(deviceId, 'runtime', Math.max(1, deadline - Date.now()));
        if (back.device !== device) return identityOf(back.device, back.profile).firmwareVersion;
        if (Date.now() >= deadline) {
          throw new FieldbenchError({
            code: 'timeout',
            message: `the device did not leave the bus and come back within ${deadlineMs} ms of the USB reset`,
            device: session.label,
            step: 'reset',
            hint: 'Unplug the unit and plug it back in to start its firmware.',
          });
        }
        await new Promise((resolve) => setTimeout(resolve, REENUMERATION_POLL_MS));
      }
    },
    { long: true },
  );
}
