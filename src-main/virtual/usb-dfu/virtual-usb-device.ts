// One enumeration of a virtual board as a W3C WebUSB USBDevice, behaving as `usb` 3.x's
// does on a real machine: open/claim/select follow the WebUSB rules (InvalidStateError when
// not open or not claimed, NotFoundError for what the configuration does not have), standard
// GET_DESCRIPTOR answers the board's descriptors, class requests go to its DFU interface, and
// every control transfer lasts what the timing model gives it. Once the board leaves the bus
// every pending and later transfer rejects with a NetworkError; a re-enumeration makes a new
// object, as the operating system does.
import { DescriptorType } from '../../protocols/dfu/dfu-descriptors';
import type { UsbDfuMode, UsbModeSpec } from './board-models';
import type { ClassAnswer, DfuFunction, ResetOutcome } from './dfu-function';
import { buildDescriptors, CONFIGURATION_VALUE, type UsbDescriptorSet } from './usb-descriptors';
import { controlTransferMs } from './usb-timing';

const StandardRequest = { GET_STATUS: 0, GET_DESCRIPTOR: 6, GET_CONFIGURATION: 8, SET_CONFIGURATION: 9, GET_INTERFACE: 10, SET_INTERFACE: 11 } as const;
/** Bus reset (TDRST) and reset recovery (TRSTRCY), USB 2.0 §7.1.7.5. */
const USB_RESET_MS = 20;

/** What the device needs of its board. */
export interface UsbDeviceHost {
  readonly silent: boolean;
  countTransfer(): void;
  /** Adds unscaled model time and answers it scaled. */
  spend(ms: number): number;
  /** Waits `scaledMs` on the board's bus clock (short waits add up before a timer is set). */
  busWait(scaledMs: number): Promise<void>;
  /** The host reset the bus; the board decides whether it re-enumerates. */
  afterReset(outcome: ResetOutcome): void;
}

function domError(name: 'NetworkError' | 'NotFoundError' | 'InvalidStateError' | 'AbortError', message: string): DOMException {
  return new DOMException(message, name);
}

class VirtualAlternate implements USBAlternateInterface {
  readonly endpoints: USBEndpoint[] = [];
  constructor(
    readonly alternateSetting: number,
    readonly interfaceClass: number,
    readonly interfaceSubclass: number,
    readonly interfaceProtocol: number,
    readonly interfaceName: string | null,
  ) {}
}

class VirtualInterface implements USBInterface {
  constructor(
    readonly interfaceNumber: number,
    readonly alternates: USBAlternateInterface[],
    private readonly owner: VirtualUsbDevice,
  ) {}

  get alternate(): USBAlternateInterface {
    return this.alternates.find((a) => a.alternateSetting === this.owner.selectedAlternate(this.interfaceNumber)) ?? this.alternates[0]!;
  }

  get claimed(): boolean {
    return this.owner.isClaimed(this.interfaceNumber);
  }
}

export class VirtualUsbDevice implements USBDevice {
  readonly usbVersionMajor = 2;
  readonly usbVersionMinor = 0;
  readonly usbVersionSubminor = 0;
  readonly deviceClass = 0;
  readonly deviceSubclass = 0;
  readonly deviceProtocol = 0;
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceVersionMajor: number;
  readonly deviceVersionMinor: number;
  readonly deviceVersionSubminor: number;
  readonly manufacturerName: string;
  readonly productName: string;
  readonly serialNumber: string;
  readonly configurations: USBConfiguration[];
  readonly mode: UsbDfuMode;
  private readonly descriptors: UsbDescriptorSet;
  private isOpen = false;
  private configured: USBConfiguration | null;
  private readonly claims = new Set<number>();
  private readonly alternates = new Map<number, number>();
  private gone = false;
  /** Rejecters of every transfer still in flight, so leaving the bus or closing settles them. */
  private readonly inFlight = new Set<(error: DOMException) => void>();
  private onTheWire = 0;

  constructor(
    spec: UsbModeSpec,
    serialNumber: string,
    private readonly dfu: DfuFunction,
    private readonly host: UsbDeviceHost,
  ) {
    this.mode = spec.mode;
    this.vendorId = spec.ids.vendorId;
    this.productId = spec.ids.productId;
    // As `usb` reads bcdDevice: major the high byte, then one nibble each.
    this.deviceVersionMajor = spec.bcdDevice >> 8;
    this.deviceVersionMinor = (spec.bcdDevice >> 4) & 0xf;
    this.deviceVersionSubminor = spec.bcdDevice & 0xf;
    this.manufacturerName = spec.manufacturer;
    this.productName = spec.product;
    this.serialNumber = serialNumber;
    this.descriptors = buildDescriptors(spec, serialNumber);
    const alternates = spec.alternateNames.map((name, setting) => new VirtualAlternate(setting, 0xfe, 0x01, spec.interfaceProtocol, name));
    const configuration: USBConfiguration = { configurationValue: CONFIGURATION_VALUE, configurationName: null, interfaces: [new VirtualInterface(0, alternates, this)] };
    this.configurations = [configuration];
    // The operating system configures a device when it enumerates it.
    this.configured = configuration;
  }

  get opened(): boolean {
    return this.isOpen;
  }

  get configuration(): USBConfiguration | null {
    return this.configured;
  }

  /** Transfers between their setup and their status stage (a silent board's never get there). */
  get transfersOnTheWire(): number {
    return this.onTheWire;
  }

  /** Whether the device is still on the bus. */
  get present(): boolean {
    return !this.gone;
  }

  selectedAlternate(interfaceNumber: number): number {
    return this.alternates.get(interfaceNumber) ?? 0;
  }

  isClaimed(interfaceNumber: number): boolean {
    return this.claims.has(interfaceNumber);
  }

  /** The board left the bus: everything in flight and everything later fails as on a real unplug. */
  disconnect(): void {
    if (this.gone) return;
    this.gone = true;
    this.isOpen = false;
    this.claims.clear();
    this.settleInFlight(() => domError('NetworkError', 'A transfer error has occurred: the device was disconnected.'));
  }

  async open(): Promise<void> {
    this.checkPresent();
    this.isOpen = true;
  }

  async close(): Promise<void> {
    this.checkPresent();
    if (!this.isOpen) return;
    this.settleInFlight(() => domError('AbortError', 'The transfer was cancelled: the device was closed.'));
    this.claims.clear();
    this.isOpen = false;
  }

  async forget(): Promise<void> {
    if (this.isOpen && !this.gone) await this.close();
  }

  async selectConfiguration(configurationValue: number): Promise<void> {
    this.checkPresent();
    const configuration = this.configurations.find((c) => c.configurationValue === configurationValue);
    if (!configuration) throw domError('NotFoundError', `The configuration value ${configurationValue} is not supported by the device.`);
    this.checkOpen();
    await this.transfer('out', 0, () => ({ status: 'ok' }));
    this.configured = configuration;
    this.claims.clear();
    this.alternates.clear();
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    this.checkPresent();
    this.checkOpen();
    this.interfaceOf(interfaceNumber);
    this.claims.add(interfaceNumber);
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    this.checkPresent();
    this.checkOpen();
    this.interfaceOf(interfaceNumber);
    if (!this.claims.delete(interfaceNumber)) return;
    this.alternates.delete(interfaceNumber);
  }

  async selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void> {
    this.checkPresent();
    this.checkOpen();
    const usbInterface = this.interfaceOf(interfaceNumber);
    if (!this.claims.has(interfaceNumber)) throw domError('InvalidStateError', 'The interface must be claimed before an alternate setting is selected.');
    if (!usbInterface.alternates.some((a) => a.alternateSetting === alternateSetting)) {
      throw domError('NotFoundError', `The alternate setting ${alternateSetting} of interface ${interfaceNumber} does not exist.`);
    }
    // SET_INTERFACE goes over the wire like any other control transfer.
    await this.transfer('out', 0, () => ({ status: 'ok' }));
    this.alternates.set(interfaceNumber, alternateSetting);
    this.dfu.selectAlternate(alternateSetting);
  }

  async controlTransferIn(setup: USBControlTransferParameters, length: number): Promise<USBInTransferResult> {
    this.checkPresent('NetworkError');
    this.checkOpen();
    this.checkRecipient(setup);
    const answer = await this.transfer('in', 0, () => this.answerIn(setup, length));
    if (answer.status === 'stall') return { status: 'stall' };
    const data = answer.data ?? new Uint8Array(0);
    return { status: 'ok', data: new DataView(data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer) };
  }

  async controlTransferOut(setup: USBControlTransferParameters, data?: BufferSource): Promise<USBOutTransferResult> {
    this.checkPresent('NetworkError');
    this.checkOpen();
    this.checkRecipient(setup);
    const bytes = data === undefined ? new Uint8Array(0) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() : new Uint8Array(data).slice();
    const answer = await this.transfer('out', bytes.length, () => this.answerOut(setup, bytes));
    return answer.status === 'stall' ? { status: 'stall', bytesWritten: 0 } : { status: 'ok', bytesWritten: bytes.length };
  }

  async reset(): Promise<void> {
    this.checkPresent();
    this.checkOpen();
    this.settleInFlight(() => domError('AbortError', 'The transfer was cancelled: the device was reset.'));
    await this.host.busWait(this.host.spend(USB_RESET_MS));
    this.checkPresent('NetworkError');
    this.alternates.clear();
    this.host.afterReset(this.dfu.usbReset());
  }

  async clearHalt(_direction: USBDirection, endpointNumber: number): Promise<void> {
    throw this.noEndpoint(endpointNumber);
  }

  async transferIn(endpointNumber: number): Promise<USBInTransferResult> {
    throw this.noEndpoint(endpointNumber);
  }

  async transferOut(endpointNumber: number): Promise<USBOutTransferResult> {
    throw this.noEndpoint(endpointNumber);
  }

  async isochronousTransferIn(endpointNumber: number): Promise<USBIsochronousInTransferResult> {
    throw this.noEndpoint(endpointNumber);
  }

  async isochronousTransferOut(endpointNumber: number): Promise<USBIsochronousOutTransferResult> {
    throw this.noEndpoint(endpointNumber);
  }

  /**
   * One control transfer, lasting what its transactions need on the bus. An IN request is
   * answered when its setup arrives and its data stage carries what the device gave; an OUT
   * request is acted on once its data has arrived. A silent board never answers; leaving the
   * bus or closing rejects what is in flight.
   */
  private transfer(direction: 'in' | 'out', outLength: number, act: () => ClassAnswer): Promise<ClassAnswer> {
    this.host.countTransfer();
    return new Promise<ClassAnswer>((resolve, reject) => {
      const fail = (error: DOMException): void => {
        this.inFlight.delete(fail);
        reject(error);
      };
      this.inFlight.add(fail);
      if (this.host.silent) return;
      this.onTheWire += 1;
      const offTheWire = (): void => {
        this.onTheWire -= 1;
      };
      const finish = (answer: ClassAnswer): void => {
        if (!this.inFlight.has(fail)) return;
        this.inFlight.delete(fail);
        // The request itself may have taken the board off the bus (a drop mid-download).
        if (this.gone) reject(domError('NetworkError', 'A transfer error has occurred: the device was disconnected.'));
        else resolve(answer);
      };
      const answer = direction === 'in' ? act() : undefined;
      const dataStage = direction === 'in' ? (answer?.data?.length ?? 0) : outLength;
      this.host
        .busWait(this.host.spend(controlTransferMs(dataStage)))
        .then(() => {
          if (this.inFlight.has(fail)) finish(answer ?? act());
        }, fail)
        .finally(offTheWire);
    });
  }

  private answerIn(setup: USBControlTransferParameters, length: number): ClassAnswer {
    if (setup.requestType === 'class' && setup.recipient === 'interface') return this.dfu.classIn(setup.request, setup.value, length);
    if (setup.requestType !== 'standard') return { status: 'stall' };
    const clip = (bytes: Uint8Array): ClassAnswer => ({ status: 'ok', data: bytes.subarray(0, Math.min(length, bytes.length)) });
    switch (setup.request) {
      case StandardRequest.GET_DESCRIPTOR: {
        if (setup.recipient !== 'device') return { status: 'stall' };
        const type = setup.value >> 8;
        const index = setup.value & 0xff;
        if (type === DescriptorType.DEVICE) return clip(this.descriptors.device);
        if (type === DescriptorType.CONFIGURATION && index === 0) return clip(this.descriptors.configuration);
        const text = type === DescriptorType.STRING ? this.descriptors.strings.get(index) : undefined;
        return text ? clip(text) : { status: 'stall' };
      }
      case StandardRequest.GET_STATUS:
        return clip(Uint8Array.of(0, 0));
      case StandardRequest.GET_CONFIGURATION:
        return clip(Uint8Array.of(this.configured?.configurationValue ?? 0));
      case StandardRequest.GET_INTERFACE:
        return setup.recipient === 'interface' ? clip(Uint8Array.of(this.selectedAlternate(setup.index & 0xff))) : { status: 'stall' };
      default:
        return { status: 'stall' };
    }
  }

  private answerOut(setup: USBControlTransferParameters, data: Uint8Array): ClassAnswer {
    if (setup.requestType === 'class' && setup.recipient === 'interface') return this.dfu.classOut(setup.request, setup.value, data);
    return { status: 'stall' };
  }

  private settleInFlight(error: () => DOMException): void {
    const pending = [...this.inFlight];
    this.inFlight.clear();
    for (const fail of pending) fail(error());
  }

  private interfaceOf(interfaceNumber: number): USBInterface {
    const found = this.configured?.interfaces.find((i) => i.interfaceNumber === interfaceNumber);
    if (!found) throw domError('NotFoundError', `The interface number ${interfaceNumber} is not part of the current configuration.`);
    return found;
  }

  /** WebUSB checks a transfer's recipient: an interface must exist and be claimed. */
  private checkRecipient(setup: USBControlTransferParameters): void {
    if (setup.recipient !== 'interface') return;
    const interfaceNumber = setup.index & 0xff;
    this.interfaceOf(interfaceNumber);
    if (!this.claims.has(interfaceNumber)) throw domError('InvalidStateError', `The interface ${interfaceNumber} must be claimed before a transfer to it.`);
  }

  private checkPresent(name: 'NetworkError' | 'NotFoundError' = 'NotFoundError'): void {
    if (this.gone) throw domError(name, name === 'NetworkError' ? 'A transfer error has occurred: the device was disconnected.' : 'The device was disconnected.');
  }

  private checkOpen(): void {
    if (!this.isOpen) throw domError('InvalidStateError', 'The device must be opened first.');
  }

  private noEndpoint(endpointNumber: number): DOMException {
    this.checkPresent('NetworkError');
    this.checkOpen();
    return domError('NotFoundError', `The specified endpoint ${endpointNumber} is not part of a claimed and selected alternate interface.`);
  }
}
