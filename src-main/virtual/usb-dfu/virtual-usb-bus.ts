// The virtual USB bus: where tests, demo mode and benchmarks plug virtual DFU boards. It is a
// UsbBus like the real one, so the core cannot tell a virtual board from a real one except by
// the `virtual` flag it lists them with.
import { FieldbenchError } from '../../api/errors';
import type { DiscoveryStatus } from '../../api/schemas';
import type { UsbBus, UsbBusDevice } from '../../transports/usb/usb-bus';
import { VirtualDfuBoard, type VirtualUsbBoard, type VirtualUsbBoardOptions } from './virtual-usb-board';

export type { VirtualUsbBoard, VirtualUsbBoardOptions, VirtualUsbDeviceInMode } from './virtual-usb-board';
export { DFU_GADGET_IDS, STM32_DFU_IDS, STM32_LAYOUTS } from './board-models';

type Listener = Parameters<UsbBus['onChange']>[0];

export class VirtualUsbBus implements UsbBus {
  private readonly plugged: VirtualDfuBoard[] = [];
  private readonly listeners = new Set<Listener>();

  /** Makes a board and puts it on the bus now (a connect event). */
  plug(options: VirtualUsbBoardOptions): VirtualUsbBoard {
    if (this.plugged.some((board) => board.serialNumber === options.serialNumber)) {
      throw new FieldbenchError({
        code: 'invalid-request',
        message: `a virtual USB board with serial number ${options.serialNumber} is already plugged in`,
        device: options.serialNumber,
        step: 'plug virtual USB board',
        hint: 'Give each virtual board its own serial number, or unplug the other one first.',
      });
    }
    const board = new VirtualDfuBoard(options, {
      connect: (device) => this.emit('connect', device),
      disconnect: (device) => this.emit('disconnect', device),
      removed: (gone) => {
        const index = this.plugged.indexOf(gone as VirtualDfuBoard);
        if (index >= 0) this.plugged.splice(index, 1);
      },
    });
    this.plugged.push(board);
    board.enumerate(options.startIn);
    return board;
  }

  boards(): VirtualUsbBoard[] {
    return [...this.plugged];
  }

  async list(): Promise<UsbBusDevice[]> {
    return this.plugged.flatMap((board) => {
      const device = board.current();
      return device ? [{ device, virtual: true }] : [];
    });
  }

  status(): DiscoveryStatus {
    return { transport: 'usb', method: 'virtual bus', available: true, note: null };
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Unplugs every board. */
  async close(): Promise<void> {
    for (const board of [...this.plugged]) board.unplug();
  }

  private emit(kind: 'connect' | 'disconnect', device: USBDevice): void {
    for (const listener of [...this.listeners]) listener({ kind, device });
  }
}
