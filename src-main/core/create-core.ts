// Builds the core: profiles, the device registries (serial, USB, BLE), diagnostics and the case store, wired to
// the contract's handlers. Every door (Electron IPC, `fieldbench serve`, the CLI) calls
// createCore and then only ever talks to the returned dispatch function and event source.
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { constants as fsConstants } from 'node:fs';
import { createDispatcher, type Handlers } from '../api/dispatch';
import type { CaseDevice, DiagnosticsReport } from '../api/schemas';
import { exportCaseBundle } from '../bundle/case-bundle-export';
import { importCaseBundle } from '../bundle/case-bundle-import';
import { openCaseStore } from '../store/case-store';
import { listSerialPorts } from '../transports/serial/serial-discovery';
import { openSerialLink } from '../transports/serial/serial-link';
import type { Core, CoreOptions } from './core';
import { readDiagnostics } from './diagnostics/read-diagnostics';
import { DeviceDirectory } from './devices/device-directory';
import { DeviceRegistry } from './devices/device-registry';
import { attachVirtualDevice } from './devices/virtual-attachment';
import { EventBus } from './event-bus';
import { FirmwareUpdates } from './firmware/firmware-updates';
import { DfuUpdates } from './firmware/dfu-updates';
import { flashDfu } from '../protocols/dfu/dfu-flash';
import { detachToBootloader } from '../protocols/dfu/dfu-info';
import { inspectFirmware } from './firmware/inspect-firmware';
import { inspectImage } from '../firmware-images/inspect-image';
import { routedUpdateSessions } from './firmware/update-session';
import { serialUpdateSessions } from './firmware/serial-update-sessions';
import { bleUpdateSessions } from './ble/ble-update-sessions';
import { isSmpError } from '../protocols/smp/smp-client';
import { MgmtErr } from '../protocols/smp/smp-groups';
import { ProfileRegistry } from './profiles/profile-registry';
import { UsbRegistry, type VirtualUsbPlugger } from './usb/usb-registry';
import { JoinedUsbBus } from '../transports/usb/joined-usb-bus';
import { NodeUsbBus } from '../transports/usb/node-usb-bus';
import type { UsbBus } from '../transports/usb/usb-bus';
import { VirtualUsbBus } from '../virtual/usb-dfu/virtual-usb-bus';
import { FIELDBENCH_VERSION } from './version';
import { BleRegistry } from './ble/ble-registry';
import { BleFollowers } from './ble/ble-followers';
import { NodeBleCentral } from '../transports/ble/node-ble-central';
import { defaultKnowledgeDir, KNOWLEDGE_DIR_NAME, KnowledgeBase } from './knowledge/knowledge-base';
import { knowledgeRequests } from './knowledge/knowledge-requests';
import { procedureDevice } from './procedures/procedure-device';
import { ProcedureRunner } from './procedures/procedure-runner';
import { osOperator, procedureRequests } from './procedures/procedure-requests';
import { ConsoleSessions } from './console/console-sessions';
import { consoleRequests } from './console/console-requests';
import { articleKnownIssues } from './console/console-profile-knowledge';
import { lazyCaptureService } from './console/lazy-capture-service';
import { createLogWorkerClient } from './logs/log-worker-client';
import { stationRequests } from './station/station-requests';
import { Station } from './station/station';
import { coreStationOperations } from './station/core-station-operations';
import { loadRecipe } from './station/load-recipe';
import { defaultRecipesDir, RECIPES_DIR_NAME } from './station/recipe-catalog';
import { attachVirtualMany } from './devices/attach-virtual-many';

/** A snapshot younger than this is attached to a new case as it is; an older one is read again. */
const SNAPSHOT_MAX_AGE_MS = 5 * 60_000;
/** Log console captures live here, under the data folder. */
const CAPTURES_DIR_NAME = 'captures';

export async function createCore(options: CoreOptions): Promise<Core> {
  const log = options.log ?? (() => undefined);
  const now = () => new Date();
  const events = new EventBus((event, error) => log('warn', `event ${event}: a listener failed: ${String(error)}`));

  const profiles = await ProfileRegistry.load(options.profilesDir);
  for (const problem of profiles.problems) {
    log('warn', `profile ${problem.file}${problem.field ? ` at ${problem.field}` : ''}: ${problem.message}`);
  }

  const kb = await KnowledgeBase.load({
    shipped: options.knowledgeDir ?? defaultKnowledgeDir(),
    local: join(options.dataDir, KNOWLEDGE_DIR_NAME),
  });
  for (const problem of kb.problems) {
    log('warn', `knowledge base ${problem.file}${problem.field ? ` at ${problem.field}` : ''}: ${problem.message}`);
  }

  const store = openCaseStore({
    dataDir: options.dataDir,
    ...(options.sqliteNativeBinding ? { nativeBinding: options.sqliteNativeBinding } : {}),
  });

  const devices = new DeviceRegistry({
    profiles,
    listSerialPorts: options.listSerialPorts ?? listSerialPorts,
    openSerialLink,
    attachVirtual: (model, faults, startIn) => attachVirtualDevice(model, faults, log, startIn),
    portExists: (path) =>
      access(path, fsConstants.F_OK).then(
        () => true,
        () => false,
      ),
    now,
    onChange: () => directory.changed(),
    refuseForeign: (deviceId, step) => directory.refuseShell(deviceId, step),
    log,
  });

  const usb = usbBusOf(options);
  const usbDevices = new UsbRegistry({
    bus: usb.bus,
    profiles,
    virtual: usb.virtual,
    virtualTimeScale: options.virtualTimeScale ?? 1,
    now,
    onChange: () => directory.changed(),
    log,
  });

  const bleDevices = new BleRegistry({
    profiles,
    // Made on first use: creating it touches no D-Bus, but nothing here needs it before a scan or status.
    central: () => options.bleCentral ?? new NodeBleCentral(),
    now,
    onChange: () => directory.changed(),
    emitAdverts: (list) => events.emit('ble.adverts', list),
    virtualTimeScale: options.virtualTimeScale ?? 1,
    log,
  });

  const bleFollowers = new BleFollowers({
    registry: bleDevices,
    otherDevice: (deviceId) => directory.list().find((device) => device.id === deviceId && device.transport !== 'ble') ?? null,
    now,
    emitValues: (values) => events.emit('ble.values', values),
    emitLines: (lines) => events.emit('logs.lines', lines),
    emitState: (state) => events.emit('ble.follow', state),
    log,
  });

  const directory: DeviceDirectory = new DeviceDirectory(devices, usbDevices, (list) => events.emit('devices.changed', list), bleDevices);

  const lastReports = new Map<string, DiagnosticsReport>();

  // SMP reaches a device over its serial port or, for a BLE device, over MCUmgr's GATT service.
  const smpSessions = routedUpdateSessions([{ owns: (deviceId) => directory.isBle(deviceId), sessions: bleUpdateSessions(bleDevices, now) }], serialUpdateSessions(devices, now));

  const firmware = new FirmwareUpdates({
    sessions: smpSessions,
    journal: store.firmware,
    cases: store.cases,
    events,
    inspect: (bytes, fileName, keys) => inspectImage(bytes, { fileName, keys }),
    signingKeysOf: (profileId) => profiles.signingKeysOf(profileId),
    now,
    log,
  });

  // USB DFU jobs share the journal with the MCUmgr job: firmware.job and firmware.cancel find either.
  const dfuFirmware = new DfuUpdates({
    usb: usbDevices,
    journal: store.firmware,
    cases: store.cases,
    events,
    flash: flashDfu,
    detach: detachToBootloader,
    log,
  });
  const firmwareJobsOf = (jobId: string) => (dfuFirmware.owns(jobId) ? dfuFirmware : firmware);

  /** An SMP read the device may not implement: null instead of an error. */
  async function optional<T>(read: () => Promise<T>): Promise<T | null> {
    try {
      return await read();
    } catch (error) {
      if (isSmpError(error, MgmtErr.ENOTSUP)) return null;
      throw error;
    }
  }

  async function readDeviceDiagnostics(deviceId: string): Promise<DiagnosticsReport> {
    if (directory.isBle(deviceId)) {
      const report = await bleDevices.readDiagnostics(deviceId);
      lastReports.set(deviceId, report);
      if (report.identity) bleDevices.updateIdentity(deviceId, report.identity);
      return report;
    }
    const report = await devices.withShell(deviceId, 'read diagnostics', (shell, profile) =>
      readDiagnostics(shell, profile, { deviceId, now }),
    );
    lastReports.set(deviceId, report);
    if (report.identity) devices.updateIdentity(deviceId, report.identity);
    return report;
  }

  function caseDeviceOf(deviceId: string): CaseDevice {
    const device = directory.get(deviceId);
    return {
      deviceId: device.id,
      transport: device.transport,
      path: device.path,
      profileId: device.profileId,
      identity: device.identity,
    };
  }

  const knowledge = knowledgeRequests({
    kb,
    device: (deviceId) => directory.get(deviceId),
    lastReport: (deviceId) => lastReports.get(deviceId) ?? null,
    caseDetail: (caseId) => store.cases.get(caseId),
    attachment: (caseId, attachmentId) => store.attachments.get(caseId, attachmentId),
    now,
  });

  const procedures = new ProcedureRunner({
    runs: store.procedures,
    profile: (profileId) => profiles.get(profileId),
    device: procedureDevice({
      device: (deviceId) => directory.get(deviceId),
      isBle: (deviceId) => directory.isBle(deviceId),
      identify: (deviceId) => directory.identify(deviceId),
      withShell: (deviceId, step, work) => devices.withShell(deviceId, step, work),
      withLink: (deviceId, step, work) => devices.withSession(deviceId, step, (session) => work(session.link), { long: true }),
      readBleDiagnostics: (deviceId) => readDeviceDiagnostics(deviceId),
      smpReset: (deviceId, step) => smpSessions.withSession(deviceId, step, (session) => session.smp().reset()),
      followBleLog: async (deviceId) => {
        await bleFollowers.follow(deviceId);
      },
      onLogLines: (listener) => events.on('logs.lines', listener),
      startFirmwareUpdate: ({ deviceId, fileName, bytes, caseId }) =>
        firmware.start({ deviceId, fileName, bytes, options: { uploadOnly: false, allowDowngrade: true, confirm: 'auto' }, keys: [], caseId }),
      firmwareJob: (jobId) => firmware.wait(jobId),
      cancelFirmwareJob: (jobId) => {
        if (firmware.get(jobId).cancellable) firmware.cancel(jobId);
      },
      profileFile: (profileId) => profiles.fileOf(profileId),
      now,
    }),
    recordOnCase: (caseId, summary, data) => {
      store.cases.appendEvent({ caseId, kind: 'procedure', summary, data });
      events.emit('cases.changed', { caseId });
    },
    emit: (run) => events.emit('procedures.run', run),
    now,
    defaultOperator: osOperator,
    log,
  });

  const consoles = new ConsoleSessions({
    capture: lazyCaptureService(() =>
      createLogWorkerClient({
        folder: join(options.dataDir, CAPTURES_DIR_NAME),
        onProblem: (error) => log('warn', `capture worker: ${error.message}${error.hint ? ` (${error.hint})` : ''}`),
      }),
    ),
    registry: devices,
    ble: bleDevices,
    transportOf: (deviceId) => (directory.isUsb(deviceId) ? 'usb' : directory.isBle(deviceId) ? 'ble' : null),
    knowledgePatterns: () => articleKnownIssues(kb.published()),
    cases: store.cases,
    attachments: store.attachments,
    emitSession: (session) => events.emit('console.session', session),
    emitProgress: (progress) => events.emit('console.progress', progress),
    caseChanged: (caseId) => events.emit('cases.changed', { caseId }),
    now,
    log,
  });

  // Opening the store closed the runs a stopped station left open; the log says which.
  for (const run of store.interruptedStationRuns) {
    log('info', `station: run ${run.id} on ${run.serialNumber ?? run.deviceLabel} (recipe ${run.recipeId}) closed as aborted: its station stopped during the run`);
  }
  const station = new Station({
    operations: coreStationOperations({ directory, events, firmware, dfuFirmware, procedures, smpSessions, usb: usbDevices }),
    runs: store.stationRuns,
    profiles,
    loadRecipe: (file) => loadRecipe(file, profiles),
    station: hostname(),
    emitState: (state) => events.emit('station.state', state),
    emitUnit: (unit) => events.emit('station.unit', unit),
    log,
  });

  const handlers: Handlers = {
    'system.info': async () => ({
      version: FIELDBENCH_VERSION,
      dataDir: options.dataDir,
      discovery: await directory.discoveryStatusWithBle(),
      profiles: { loaded: profiles.list().length, problems: profiles.problems },
    }),

    'profiles.list': async () => ({ profiles: profiles.list(), problems: profiles.problems }),

    'devices.list': async () => directory.list(),
    'devices.attachVirtual': async ({ model, faults, startIn, transport }) => directory.attachVirtual(model, faults, startIn, transport),
    'devices.attachVirtualMany': async ({ model, transport, units }) =>
      attachVirtualMany(units, {
        attach: (faults) => directory.attachVirtual(model, faults, undefined, transport),
        detach: (deviceId) => directory.detach(deviceId),
        log,
      }),
    'devices.setFaults': async ({ deviceId, faults }) => directory.setFaults(deviceId, faults),
    'devices.detach': async ({ deviceId }) => {
      // A follow would otherwise try to reconnect to a node that is leaving the air.
      if (directory.isBle(deviceId)) await bleFollowers.unfollow(deviceId);
      await directory.detach(deviceId);
      lastReports.delete(deviceId);
      return {};
    },
    'devices.addPort': async ({ path }) => devices.addPort(path),
    'devices.identify': async ({ deviceId }) => directory.identify(deviceId),
    'devices.enterDfu': async ({ deviceId }) => directory.enterDfu(deviceId),

    'diagnostics.read': async ({ deviceId }) => readDeviceDiagnostics(deviceId),

    'ble.scan': async ({ seconds, showAll }) => bleDevices.startScan(seconds, showAll ?? false),
    'ble.stopScan': async () => bleDevices.stopScan(),
    'ble.follow': async ({ deviceId }) => bleFollowers.follow(deviceId),
    'ble.unfollow': async ({ deviceId }) => bleFollowers.unfollow(deviceId),
    'diagnostics.last': async ({ deviceId }) => {
      directory.get(deviceId); // not-found for an unknown device, rather than a silent null
      return lastReports.get(deviceId) ?? null;
    },

    'cases.list': async (filter) => store.cases.list(filter),
    'cases.get': async ({ caseId }) => store.cases.get(caseId),
    'cases.open': async ({ title, deviceId, fields }) => {
      let device: CaseDevice | null = null;
      let snapshot: DiagnosticsReport | null = null;
      if (deviceId !== undefined && directory.isUsb(deviceId)) {
        // A USB DFU device has no diagnostics: the case records who it is, without a snapshot.
        device = caseDeviceOf(deviceId);
      } else if (deviceId !== undefined) {
        device = caseDeviceOf(deviceId);
        const last = lastReports.get(deviceId);
        const fresh = last && now().getTime() - Date.parse(last.finishedAt) < SNAPSHOT_MAX_AGE_MS;
        snapshot = fresh ? last : await readDeviceDiagnostics(deviceId);
        device = caseDeviceOf(deviceId); // identity may have been refreshed by the read
      }
      const opened = store.cases.open({ title, device, snapshot, ...(fields ? { fields } : {}) });
      events.emit('cases.changed', { caseId: opened.id });
      return opened;
    },
    'cases.update': async ({ caseId, expectedRevision, fields }) => {
      const updated = store.cases.update({ caseId, patch: fields, expectedRevision });
      events.emit('cases.changed', { caseId });
      return updated;
    },
    'cases.attach': async ({ caseId, fileName, mediaType, contentBase64 }) => {
      const attachment = store.attachments.attach({ caseId, fileName, mediaType, bytes: Buffer.from(contentBase64, 'base64') });
      events.emit('cases.changed', { caseId });
      return attachment;
    },
    'cases.attachment': async ({ caseId, attachmentId }) => store.attachments.get(caseId, attachmentId),
    'cases.search': async (request) => store.search.search(request),
    'cases.deviceHistory': async ({ serial }) => store.search.deviceHistory(serial),
    'cases.saveNote': async (input) => {
      const note = store.cases.saveNote(input);
      events.emit('cases.changed', { caseId: input.caseId });
      return note;
    },
    'cases.setStatus': async ({ caseId, status, expectedRevision }) => {
      const summary = store.cases.setStatus(caseId, status, expectedRevision);
      events.emit('cases.changed', { caseId });
      return summary;
    },
    'cases.export': async ({ caseId }) =>
      exportCaseBundle(store, caseId, { fieldbenchVersion: FIELDBENCH_VERSION, machine: hostname() }).file,
    'cases.import': async ({ contentBase64, fileName }) => {
      const imported = importCaseBundle(store, Buffer.from(contentBase64, 'base64'), { fileName });
      events.emit('cases.changed', { caseId: imported.case.id });
      return imported;
    },

    'firmware.inspect': async (request) => inspectFirmware(request),
    'firmware.flash': async ({ deviceId, fileName, contentBase64, options, keys, caseId }) => {
      const bytes = new Uint8Array(Buffer.from(contentBase64, 'base64'));
      if (directory.isUsb(deviceId)) return dfuFirmware.start({ deviceId, fileName, bytes, options, caseId: caseId ?? null });
      return firmware.start({ deviceId, fileName, bytes, options, keys: keys ?? [], caseId: caseId ?? null });
    },
    'firmware.job': async ({ jobId }) => firmwareJobsOf(jobId).get(jobId),
    'firmware.cancel': async ({ jobId }) => firmwareJobsOf(jobId).cancel(jobId),
    'firmware.slots': async ({ deviceId }) =>
      smpSessions.withSession(deviceId, 'read image slots', async (session) => [...(await session.smp().imageState())]),

    'smp.echo': async ({ deviceId, text }) =>
      smpSessions.withSession(deviceId, 'SMP echo', async (session) => ({ text: await session.smp().echo(text) })),
    'smp.info': async ({ deviceId }) =>
      smpSessions.withSession(deviceId, 'SMP info', async (session) => {
        const smp = session.smp();
        const params = await optional(() => smp.params());
        const os = await optional(() => smp.osInfo('a'));
        const bootloader = await optional(() => smp.bootloaderInfo());
        const mode = await optional(() => smp.bootloaderInfo('mode'));
        const tasks = (await optional(() => smp.taskStats())) ?? [];
        return {
          tasks: tasks.map((t) => ({ name: t.name, priority: t.priority, stackUsed: t.stackUsed, stackSize: t.stackSize, contextSwitches: t.contextSwitches })),
          params: params ? { bufSize: params.bufSize, bufCount: params.bufCount } : null,
          os,
          bootloader: bootloader && 'bootloader' in bootloader ? bootloader.bootloader : null,
          bootloaderMode: mode && 'mode' in mode ? mode.mode : null,
        };
      }),
    'kb.list': knowledge.list,
    'kb.get': knowledge.get,
    'kb.reload': knowledge.reload,
    'kb.suggest': knowledge.suggest,
    'kb.draftFromCase': knowledge.draftFromCase,
    ...procedureRequests(procedures),
    ...consoleRequests(consoles),
    ...stationRequests({
      station,
      runs: store.stationRuns,
      recipeFolders: { shipped: options.recipesDir ?? defaultRecipesDir(), local: join(options.dataDir, RECIPES_DIR_NAME) },
      now,
    }),

    'smp.reset': async ({ deviceId }) =>
      smpSessions.withSession(deviceId, 'SMP reset', async (session) => {
        await session.smp().reset();
        return {};
      }),
  };

  const dispatch = createDispatcher(handlers, {
    checkResponses: options.checkResponses ?? false,
    onInternalError: (channel, error) =>
      log('error', `${channel}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  });

  const discoveryIntervalMs = options.discoveryIntervalMs ?? 1000;
  if (discoveryIntervalMs >= 0) {
    devices.start(discoveryIntervalMs);
    usbDevices.start();
  }

  let closing: Promise<void> | null = null;
  return {
    dispatch,
    events,
    ready: async () => {
      await Promise.all([devices.quiet(), usbDevices.quiet()]);
    },
    close: () => {
      closing ??= (async () => {
        // The station first: its units are recorded as stopped while the jobs and runs they follow still answer.
        await station.close();
        // Consoles next: their captures are finished while the ports they watch are still there.
        await consoles.shutdown();
        await procedures.close();
        await Promise.all([firmware.close(), dfuFirmware.close()]);
        await devices.close();
        await usbDevices.close();
        await bleFollowers.close();
        await bleDevices.close();
        store.close();
      })();
      return closing;
    },
  };
}

/** The USB bus to watch, and where virtual USB boards are plugged in. */
function usbBusOf(options: CoreOptions): { bus: UsbBus; virtual: VirtualUsbPlugger | null } {
  if (options.usbBus) return { bus: options.usbBus, virtual: isPlugger(options.usbBus) ? options.usbBus : null };
  const virtual = new VirtualUsbBus();
  // The real bus first: its status is the line the device list shows.
  return { bus: new JoinedUsbBus(new NodeUsbBus(), virtual), virtual };
}

function isPlugger(bus: UsbBus): bus is UsbBus & VirtualUsbPlugger {
  return typeof (bus as Partial<VirtualUsbPlugger>).plug === 'function';
}
