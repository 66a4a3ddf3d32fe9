// `fieldbench dfu list [--json]`: every USB DFU interface, its alt settings and their memory
// layouts, as `dfu-util -l` lists them. `fieldbench dfu detach --usb VID:PID[:SERIAL]`: switch
// an application offering DFU runtime into its bootloader and wait for it there.
import type { Device, DfuMemoryRegion, UsbDfuInfo } from '../../api/schemas';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson, table } from '../output';
import { attachVirtualUsb, findUsbDevice, loadUsbProfiles, type UsbSelector, type VirtualUsbRequest } from '../usb-target';
import { usbStatusLines } from './devices';

export const DFU_ACTIONS = ['list', 'detach'] as const;
export type DfuAction = (typeof DFU_ACTIONS)[number];

export function isDfuAction(value: string | undefined): value is DfuAction {
  return (DFU_ACTIONS as readonly (string | undefined)[]).includes(value);
}

export async function dfuListCommand(session: CoreSessionOptions, virtualUsb: VirtualUsbRequest | null, json: boolean): Promise<number> {
  return withCore(session, async (core) => {
    await attachVirtualUsb(core, virtualUsb);
    await core.ready();
    const devices = (await call(core, 'devices.list', {})).filter((d): d is Device & { usb: { dfu: UsbDfuInfo } } => d.usb?.dfu !== undefined);
    const info = await call(core, 'system.info', {});
    if (json) {
      printJson(session.io, {
        devices: devices.map((d) => ({ id: d.id, path: d.path, profileName: d.profileName, ...d.usb })),
        discovery: info.discovery.filter((s) => s.transport === 'usb'),
      });
      return EXIT_OK;
    }
    for (const line of usbStatusLines(info.discovery)) session.io.err(line);
    if (devices.length === 0) {
      session.io.out('No USB DFU devices found. A board may need its BOOT0 pin or button to start its bootloader; try --virtual-usb stm32-dfu to see one.');
      return EXIT_OK;
    }
    session.io.out(devices.map(describeDfuDevice).join('\n\n'));
    return EXIT_OK;
  });
}

export async function dfuDetachCommand(session: CoreSessionOptions, selector: UsbSelector, virtualUsb: VirtualUsbRequest | null, json: boolean): Promise<number> {
  return withCore(session, async (core) => {
    const [profiles] = await Promise.all([loadUsbProfiles(), attachVirtualUsb(core, virtualUsb)]);
    const device = await findUsbDevice(core, selector, profiles);
    const inDfu = await call(core, 'devices.enterDfu', { deviceId: device.id });
    if (json) printJson(session.io, inDfu);
    else session.io.out(`${idsOf(inDfu)} is in DFU mode${inDfu.profileName ? ` (${inDfu.profileName})` : ''}: flash it with fieldbench flash --usb ${idsOf(inDfu)} --image FILE`);
    return EXIT_OK;
  });
}

function idsOf(device: Device): string {
  const usb = device.usb;
  return usb ? `${usb.vendorId}:${usb.productId}${usb.serialNumber ? `:${usb.serialNumber}` : ''}` : device.path;
}

const hex32 = (value: number) => `0x${value.toString(16).padStart(8, '0')}`;

function size(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

function access(region: DfuMemoryRegion): string {
  return [region.readable && 'readable', region.erasable && 'erasable', region.writable && 'writable'].filter(Boolean).join(', ') || 'no access';
}

/** One device: ids and mode, what its functional descriptor says, then each alt setting and its layout. */
function describeDfuDevice(device: Device & { usb: { dfu: UsbDfuInfo } }): string {
  const { usb } = device;
  const { dfu } = usb;
  const f = dfu.functional;
  const version = f ? `${dfu.dfuse ? 'DfuSe' : 'DFU'} ${Number.parseInt(f.dfuVersion.slice(0, 2), 16)}.${f.dfuVersion.slice(2).replace(/0$/, '')}` : dfu.dfuse ? 'DfuSe' : 'DFU';
  const lines = [
    `Found DFU: [${usb.vendorId}:${usb.productId}] serial="${usb.serialNumber ?? ''}" ${device.profileName ?? usb.product ?? 'unknown device'} at ${usb.location ?? device.path}`,
    `  mode ${dfu.mode === 'dfu' ? 'DFU (bootloader)' : 'runtime (application; fieldbench dfu detach enters DFU mode)'}, ${version}`,
    f
      ? `  transfer size ${f.transferSize}, download ${f.canDownload ? 'yes' : 'no'}, upload ${f.canUpload ? 'yes' : 'no'}, manifestation tolerant ${f.manifestationTolerant ? 'yes' : 'no'}, will detach ${f.willDetach ? 'yes' : 'no'}, detach time-out ${f.detachTimeoutMs} ms`
      : '  no functional descriptor: download only, 1 KiB blocks assumed',
  ];
  for (const alt of dfu.alts) {
    lines.push(`  intf=${alt.interfaceNumber}, alt=${alt.alternateSetting}, name="${alt.name ?? ''}"`);
    if (alt.layout) {
      const rows = alt.layout.regions.map((r) => [hex32(r.address), size(r.size), `${r.pageCount} x ${size(r.pageSize)}`, access(r)]);
      lines.push(...table([['ADDRESS', 'SIZE', 'PAGES', 'ACCESS'], ...rows]).split('\n').map((line) => `      ${line}`));
    }
  }
  return lines.join('\n');
}
