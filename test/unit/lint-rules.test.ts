// The architecture rules in eslint.config.js, proved on small snippets linted as if they
// lived at a given path: each boundary fires where it should and stays quiet where the
// architecture allows the import.
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root, overrideConfigFile: resolve(root, 'eslint.config.js') });

const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax', 'fieldbench/import-boundaries']);

/** The boundary rules that fire for this code at this path (other rules are not the point here). */
async function boundaryHits(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, path) });
  if (!result) throw new Error('no lint result');
  const fatal = result.messages.filter((message) => message.fatal);
  if (fatal.length) throw new Error(`could not parse the snippet: ${fatal[0]?.message}`);
  return result.messages.filter((message) => message.ruleId && BOUNDARY_RULES.has(message.ruleId)).map((message) => message.ruleId!);
}

const ELECTRON_IMPORT = "import { app } from 'electron';\nexport const name = app.name;\n";

describe('lint: only the shell and the preload import electron', () => {
  it('is an error in core, protocols, the renderer, the api and ordinary tests', async () => {
    for (const path of ['src-main/core/x.ts', 'src-main/protocols/x.ts', 'src-renderer/x.tsx', 'src-main/api/x.ts', 'test/unit/x.test.ts']) {
      expect(await boundaryHits(path, ELECTRON_IMPORT), path).toContain('no-restricted-imports');
    }
  });

  it('also catches type-only, dynamic and require imports', async () => {
    expect(await boundaryHits('src-main/core/x.ts', "import type { App } from 'electron';\nexport type A = App;\n")).toContain('no-restricted-imports');
    expect(await boundaryHits('src-main/core/x.ts', "export const load = () => import('electron');\n")).toContain('no-restricted-syntax');
    expect(await boundaryHits('src-main/core/x.ts', "export const e = require('electron');\n")).toContain('no-restricted-syntax');
  });

  it('is allowed in src-main/shell and src-preload', async () => {
    expect(await boundaryHits('src-main/shell/x.ts', ELECTRON_IMPORT)).toEqual([]);
    expect(await boundaryHits('src-preload/x.ts', ELECTRON_IMPORT)).toEqual([]);
  });
});

const USB_IMPORT = "import { WebUSB } from 'usb';\nexport const bus = new WebUSB({ allowAllDevices: true });\n";

describe("lint: only the node-usb bus loads 'usb'", () => {
  it('is an error in core, the registry, protocols, virtual devices, the shell, the renderer and tests', async () => {
    for (const path of [
      'src-main/core/usb/x.ts',
      'src-main/transports/usb/x.ts',
      'src-main/protocols/dfu/x.ts',
      'src-main/virtual/usb-dfu/x.ts',
      'src-main/shell/x.ts',
      'src-renderer/x.tsx',
      'test/unit/x.test.ts',
    ]) {
      expect(await boundaryHits(path, USB_IMPORT), path).toContain('no-restricted-imports');
    }
  });

  it('also catches type-only, subpath, dynamic and require imports', async () => {
    expect(await boundaryHits('src-main/core/x.ts', "import type { WebUSB } from 'usb';\nexport type W = WebUSB;\n")).toContain('no-restricted-imports');
    expect(await boundaryHits('src-main/core/x.ts', "import { WebUSB } from 'usb/dist/index.js';\nexport const w = WebUSB;\n")).toContain('no-restricted-imports');
    expect(await boundaryHits('src-main/core/x.ts', "export const load = () => import('usb');\n")).toContain('no-restricted-syntax');
    expect(await boundaryHits('src-main/core/x.ts', "export const u = require('usb');\n")).toContain('no-restricted-syntax');
  });

  it('is allowed in src-main/transports/usb/node-usb-bus.ts, which still may not import electron', async () => {
    const path = 'src-main/transports/usb/node-usb-bus.ts';
    expect(await boundaryHits(path, USB_IMPORT)).toEqual([]);
    expect(await boundaryHits(path, "export const load = () => import('usb');\n")).toEqual([]);
    expect(await boundaryHits(path, ELECTRON_IMPORT)).toContain('no-restricted-imports');
  });

  it('leaves packages whose names only start with usb alone', async () => {
    expect(await boundaryHits('src-main/core/x.ts', "import * as m from 'usb-detection';\nexport const x = m;\n")).toEqual([]);
  });
});

const NODE_BLE_IMPORT = "import { createBluetooth } from 'node-ble';\nexport const ble = createBluetooth;\n";
const DBUS_IMPORT = "import { systemBus } from 'dbus-next';\nexport const bus = systemBus;\n";

describe("lint: only the node-ble central loads 'node-ble' or 'dbus-next'", () => {
  it('is an error in core, other BLE and USB transport files, protocols, the shell, the renderer and tests', async () => {
    for (const path of [
      'src-main/core/ble/x.ts',
      'src-main/transports/ble/ble-smp-link.ts',
      'src-main/transports/usb/node-usb-bus.ts',
      'src-main/protocols/smp/x.ts',
      'src-main/shell/x.ts',
      'src-renderer/x.tsx',
      'test/unit/x.test.ts',
    ]) {
      expect(await boundaryHits(path, NODE_BLE_IMPORT), path).toContain('no-restricted-imports');
      expect(await boundaryHits(path, DBUS_IMPORT), path).toContain('no-restricted-imports');
    }
  });

  it('also catches type-only, subpath, dynamic and require imports', async () => {
    expect(await boundaryHits('src-main/core/x.ts', "import type { Adapter } from 'node-ble';\nexport type A = Adapter;\n")).toContain('no-restricted-imports');
    expect(await boundaryHits('src-main/core/x.ts', "import { Variant } from 'dbus-next/lib/variant';\nexport const v = Variant;\n")).toContain('no-restricted-imports');
    expect(await boundaryHits('src-main/core/x.ts', "export const load = () => import('node-ble');\n")).toContain('no-restricted-syntax');
    expect(await boundaryHits('src-main/core/x.ts', "export const d = require('dbus-next');\n")).toContain('no-restricted-syntax');
  });

  it('is allowed in src-main/transports/ble/node-ble-central.ts, which still may not import electron or usb', async () => {
    const path = 'src-main/transports/ble/node-ble-central.ts';
    expect(await boundaryHits(path, NODE_BLE_IMPORT)).toEqual([]);
    expect(await boundaryHits(path, DBUS_IMPORT)).toEqual([]);
    expect(await boundaryHits(path, "export const load = () => import('node-ble');\n")).toEqual([]);
    expect(await boundaryHits(path, ELECTRON_IMPORT)).toContain('no-restricted-imports');
    expect(await boundaryHits(path, USB_IMPORT)).toContain('no-restricted-imports');
  });

  it('lets the simulated BlueZ own org.bluez through dbus-next, but not use node-ble', async () => {
    const path = 'src-main/virtual/ble/x.ts';
    expect(await boundaryHits(path, DBUS_IMPORT)).toEqual([]);
    expect(await boundaryHits(path, "export const load = () => import('dbus-next');\n")).toEqual([]);
    expect(await boundaryHits(path, NODE_BLE_IMPORT)).toContain('no-restricted-imports');
  });

  it("lets the simulated BlueZ's own tests drive it with node-ble, and no other test", async () => {
    expect(await boundaryHits('test/integration/simulated-bluez.test.ts', NODE_BLE_IMPORT)).toEqual([]);
    expect(await boundaryHits('test/integration/simulated-bluez.test.ts', ELECTRON_IMPORT)).toContain('no-restricted-imports');
    expect(await boundaryHits('test/integration/ble-transport.test.ts', NODE_BLE_IMPORT)).toContain('no-restricted-imports');
  });

  it('leaves packages whose names only start with node-ble alone', async () => {
    expect(await boundaryHits('src-main/core/x.ts', "import * as m from 'node-blessed';\nexport const x = m;\n")).toEqual([]);
  });
});

describe('lint: only the IPC binding and the preload entry touch ipcMain/ipcRenderer', () => {
  const useIpcMain = "import { ipcMain } from 'electron';\nipcMain.handle('x', () => 1);\n";
  const useIpcRenderer = "import { ipcRenderer } from 'electron';\nexport const send = () => ipcRenderer.invoke('x');\n";

  it('is an error elsewhere, even in the shell and the preload', async () => {
    expect(await boundaryHits('src-main/shell/main.ts', useIpcMain)).toContain('no-restricted-syntax');
    expect(await boundaryHits('src-main/shell/window.ts', "import * as electron from 'electron';\nelectron['ipcMain'].handle('x', () => 1);\n")).toContain(
      'no-restricted-syntax',
    );
    expect(await boundaryHits('src-preload/helpers.ts', useIpcRenderer)).toContain('no-restricted-syntax');
    expect(await boundaryHits('src-main/core/x.ts', useIpcMain)).toEqual(expect.arrayContaining(['no-restricted-imports', 'no-restricted-syntax']));
  });

  it('is allowed in src-main/shell/ipc-binding.ts and src-preload/index.ts', async () => {
    expect(await boundaryHits('src-main/shell/ipc-binding.ts', useIpcMain)).toEqual([]);
    expect(await boundaryHits('src-preload/index.ts', useIpcRenderer)).toEqual([]);
  });
});

describe('lint: the renderer is a web page that knows only the contract', () => {
  it('may not import Node built-ins, with or without node:', async () => {
    for (const name of ['node:fs', 'fs', 'path', 'node:path', 'child_process', 'os', 'fs/promises', 'node:child_process']) {
      const hits = await boundaryHits('src-renderer/views/x.tsx', `import * as m from '${name}';\nexport const x = m;\n`);
      expect(hits, name).toContain('no-restricted-imports');
    }
  });

  it('may import src-main/api, and nothing else from src-main', async () => {
    expect(await boundaryHits('src-renderer/api/x.ts', "import type { Envelope } from '../../src-main/api/contract';\nexport type E = Envelope;\n")).toEqual([]);
    expect(await boundaryHits('src-renderer/api/x.ts', "import { createCore } from '../../src-main/core/create-core';\nexport const c = createCore;\n")).toContain(
      'fieldbench/import-boundaries',
    );
    expect(await boundaryHits('src-renderer/x.ts', "import { a } from '../src-main/shell/main';\nexport const b = a;\n")).toContain('fieldbench/import-boundaries');
  });
});

describe('lint: src-main/api imports only itself and zod', () => {
  it('may import its own modules and zod', async () => {
    expect(await boundaryHits('src-main/api/x.ts', "import { z } from 'zod';\nimport { Id } from './schemas';\nexport const a = [z, Id];\n")).toEqual([]);
  });

  it('may not import core, the shell, Node built-ins or other packages', async () => {
    for (const source of ['../core/core', '../shell/main', '../../src-renderer/app', 'node:fs', 'ws', 'electron']) {
      const hits = await boundaryHits('src-main/api/x.ts', `import * as m from '${source}';\nexport const x = m;\n`);
      expect(hits, source).toContain(source === 'electron' ? 'no-restricted-imports' : 'fieldbench/import-boundaries');
    }
  });
});

describe('lint: core code imports neither the renderer nor the Electron shell', () => {
  it('is an error from core, protocols, transports, store and virtual', async () => {
    for (const folder of ['core', 'protocols', 'transports', 'store', 'virtual']) {
      const path = `src-main/${folder}/x.ts`;
      expect(await boundaryHits(path, "import { a } from '../shell/main';\nexport const b = a;\n"), path).toContain('fieldbench/import-boundaries');
      expect(await boundaryHits(path, "import { a } from '../../src-renderer/app';\nexport const b = a;\n"), path).toContain('fieldbench/import-boundaries');
    }
  });

  it('tells the Electron shell from the device shell protocol by where the import lands', async () => {
    expect(await boundaryHits('src-main/protocols/smp/x.ts', "import { a } from '../shell/line-codec';\nexport const b = a;\n")).toEqual([]);
    expect(await boundaryHits('src-main/core/x.ts', "import { a } from '../protocols/shell/client';\nexport const b = a;\n")).toEqual([]);
    expect(await boundaryHits('src-main/protocols/x.ts', "import { a } from '../shell/main';\nexport const b = a;\n")).toContain('fieldbench/import-boundaries');
  });
});
