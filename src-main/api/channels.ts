// The contract's channel names as plain string lists, with no zod behind them. The
// sandboxed preload bundles this file to refuse unknown channels before they reach IPC,
// and bundling contract.ts instead would pull the whole of zod into every window.
// contract.ts proves at compile time that these lists match its request and event maps.

export const requestChannelNames = [
  'system.info',
  'profiles.list',
  'devices.list',
  'devices.attachVirtual',
  'devices.setFaults',
  'devices.detach',
  'devices.addPort',
  'devices.identify',
  'devices.enterDfu',
  'diagnostics.read',
  'diagnostics.last',
  'cases.list',
  'cases.get',
  'cases.open',
  'cases.saveNote',
  'cases.setStatus',
  'cases.update',
  'cases.attach',
  'cases.attachment',
  'cases.search',
  'cases.deviceHistory',
  'cases.export',
  'cases.import',
  'firmware.inspect',
  'firmware.flash',
  'firmware.job',
  'firmware.cancel',
  'firmware.slots',
  'smp.echo',
  'smp.info',
  'smp.reset',
  'ble.scan',
  'ble.stopScan',
  'ble.follow',
  'ble.unfollow',
  'kb.list',
  'kb.get',
  'kb.reload',
  'kb.suggest',
  'kb.draftFromCase',
  'procedures.list',
  'procedures.start',
  'procedures.answer',
  'procedures.control',
  'procedures.get',
  'procedures.runs',
  'console.open',
  'console.configure',
  'console.close',
  'console.sessions',
  'console.captures',
  'console.send',
  'console.read',
  'console.locate',
  'console.search',
  'console.mark',
  'console.flags',
  'console.attach',
  'console.export',
] as const;

export const eventChannelNames = ['devices.changed', 'cases.changed', 'firmware.job', 'firmware.progress', 'ble.adverts', 'ble.values', 'ble.follow', 'logs.lines', 'procedures.run', 'console.session', 'console.progress'] as const;

export type RequestChannelName = (typeof requestChannelNames)[number];
export type EventChannelName = (typeof eventChannelNames)[number];

/** The single IPC channel names: one for requests, one for events. */
export const IPC_INVOKE = 'fieldbench:invoke';
export const IPC_EVENT = 'fieldbench:event';
