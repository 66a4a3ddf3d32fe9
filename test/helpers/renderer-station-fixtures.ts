// Station shapes for the renderer's station tests: a unit tile, a recipe and a whole state,
// each valid against the contract's schemas and changed field by field per test.
import { StationRecipe, StationState, StationUnit } from '../../src-main/api/station-schemas';

export const T0 = '2026-03-04T10:00:00.000Z';

export function stationUnit(deviceId: string, patch: Partial<StationUnit> = {}): StationUnit {
  return StationUnit.parse({
    deviceId,
    label: `/dev/pts/${deviceId}`,
    transport: 'serial',
    virtual: true,
    serialNumber: `SN-${deviceId}`,
    present: true,
    state: 'waiting',
    step: null,
    progress: null,
    prompt: null,
    runId: null,
    firmwareJobId: null,
    procedureRunId: null,
    versionBefore: '1.4.2',
    versionAfter: null,
    failureStep: null,
    reason: null,
    note: null,
    startedAt: null,
    endedAt: null,
    ...patch,
  });
}

export function stationRecipe(patch: Partial<StationRecipe> = {}): StationRecipe {
  return StationRecipe.parse({
    file: '/recipes/quick.yaml',
    id: 'sensor-node-production-quick',
    name: 'Sensor Node 2.0.0 quick production flash',
    description: null,
    revision: '2.0.0-q1',
    recipeSha256: 'a'.repeat(64),
    profileId: 'fieldbench-sensor-node',
    profileName: 'Fieldbench Sensor Node',
    method: 'mcumgr-serial',
    image: { fileName: 'app-2.0.0.bin', sha256: 'd0ffce7440e2274646447318297f71ecfd4822ac566151ce758391a15ab2bd87', bootloaderHash: null, version: '2.0.0', size: 4096 },
    procedure: { id: 'production-check', name: 'Production check', onFail: 'continue', operatorSteps: 0 },
    onPass: 'confirm',
    onFail: 'reset',
    parallelism: { serial: 8, usb: 4, ble: 1 },
    operatorRequired: false,
    checked: ['image signed by a key the profile trusts'],
    warnings: [],
    ...patch,
  });
}

export function stationState(patch: Partial<StationState> = {}): StationState {
  return StationState.parse({
    recipe: stationRecipe(),
    station: 'bench-1',
    operator: null,
    autoStart: true,
    units: [],
    counts: { waiting: 0, running: 0, passed: 0, failed: 0, unplugged: 0, aborted: 0 },
    buses: { serial: { running: 0, limit: 8 }, usb: { running: 0, limit: 4 }, ble: { running: 0, limit: 1 } },
    loadedAt: T0,
    ...patch,
  });
}
