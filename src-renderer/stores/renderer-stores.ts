// Every store the renderer uses, made once per API connection, and the one cross-store
// rule: each time the connection opens, fetch what the screens show and send any note
// that is still unsaved.
import type { FieldbenchApi } from '../../src-main/api/contract';
import type { ConnectionSource } from '../api/connection-state';
import { createBleLiveStore, type BleLiveStore } from './ble-live-store';
import { createBleScanStore, type BleScanStore } from './ble-scan-store';
import { bundleStoreOptionsFor, createBundleStore, type BundleStore } from './bundle-store';
import { createCaseSearchStore, type CaseSearchStore } from './case-search-store';
import { createConsoleStore, type ConsoleStore } from './console-store';
import { createCaseDetailStore, type CaseDetailStore, type CaseDetailStoreOptions } from './case-detail-store';
import { createCasesStore, type CasesStore } from './cases-store';
import { createDevicesStore, type DevicesStore } from './devices-store';
import { createDiagnosticsStore, type DiagnosticsStore } from './diagnostics-store';
import { createFirmwareStore, type FirmwareStore } from './firmware-store';
import { createKnowledgeStore, type KnowledgeStore } from './knowledge-store';
import { createNoticesStore, type NoticesStore } from './notices-store';
import { createProcedureStore, type ProcedureStore } from './procedure-store';
import { createSmpStore, type SmpStore } from './smp-store';
import { createStationStore, type StationStore } from './station-store';

export interface RendererStores {
  notices: NoticesStore;
  devices: DevicesStore;
  diagnostics: DiagnosticsStore;
  cases: CasesStore;
  caseSearch: CaseSearchStore;
  caseDetail: CaseDetailStore;
  /** Exporting a case as an escalation bundle, importing one. */
  bundles: BundleStore;
  smp: SmpStore;
  firmware: FirmwareStore;
  bleScan: BleScanStore;
  bleLive: BleLiveStore;
  /** Test procedures on the device page, and their runs. */
  procedures: ProcedureStore;
  /** The knowledge base: articles, suggestions per device or case, drafts from cases. */
  knowledge: KnowledgeStore;
  /** Live log consoles and captures on disk. */
  console: ConsoleStore;
  /** The bench station: its recipe, a tile per unit, the production record. */
  station: StationStore;
  /** Unsubscribe everything (tests; a page that goes away needs nothing). */
  stop(): void;
}

export function createRendererStores(api: FieldbenchApi, connection: ConnectionSource, options: { caseDetail?: CaseDetailStoreOptions } = {}): RendererStores {
  const notices = createNoticesStore();
  const devices = createDevicesStore(api, notices);
  const diagnostics = createDiagnosticsStore(api);
  const cases = createCasesStore(api, notices);
  const caseSearch = createCaseSearchStore(api);
  const caseDetail = createCaseDetailStore(api, notices, options.caseDetail);
  const bundles = createBundleStore(api, bundleStoreOptionsFor(connection.get().door));
  const smp = createSmpStore(api);
  const firmware = createFirmwareStore(api, {
    readSlots: (deviceId) => smp.getState().readSlots(deviceId),
    deviceOf: (deviceId) => devices.getState().devices.find((d) => d.id === deviceId),
  });
  const bleScan = createBleScanStore(api);
  const bleLive = createBleLiveStore(api);
  const procedures = createProcedureStore(api);
  const knowledge = createKnowledgeStore(api);
  const consoleStore = createConsoleStore(api);
  const station = createStationStore(api);

  // Whenever the connection becomes open (at start, and after every drop), fetch what the
  // screens show and send any note still unsaved: events sent while it was down are lost.
  let wasOpen = false;
  const onOpen = () => {
    notices.getState().dismissCode('unavailable');
    void devices.getState().load();
    void caseDetail.getState().refresh();
    void caseDetail.getState().flushAll();
    void firmware.getState().refreshRunning();
    bleLive.getState().resume();
    void consoleStore.getState().resume();
    void station.getState().refresh();
    if (cases.isWatched()) void cases.getState().load();
    if (caseSearch.isWatched()) caseSearch.getState().refresh();
    cases.reloadWatchedHistories();
  };
  const onConnection = (status: string) => {
    const open = status === 'open';
    if (open && !wasOpen) onOpen();
    wasOpen = open;
  };
  const offConnection = connection.subscribe((state) => onConnection(state.status));
  onConnection(connection.get().status);

  return {
    notices,
    devices,
    diagnostics,
    cases,
    caseSearch,
    caseDetail,
    bundles,
    smp,
    firmware,
    bleScan,
    bleLive,
    procedures,
    knowledge,
    console: consoleStore,
    station,
    stop() {
      offConnection();
      devices.stop();
      cases.stop();
      caseSearch.stop();
      caseDetail.stop();
      firmware.stop();
      bleScan.stop();
      bleLive.stop();
      procedures.stop();
      consoleStore.stop();
      station.stop();
    },
  };
}
