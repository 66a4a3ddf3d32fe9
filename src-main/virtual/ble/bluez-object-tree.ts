// The objects the simulated BlueZ has on the bus, and the ObjectManager at / that lists
// them: exporting or removing an object also sends InterfacesAdded / InterfacesRemoved,
// as BlueZ does, so a client that watches signals and one that introspects see the same
// tree. dbus-next lists every exported path as a child node in Introspect, which is how
// node-ble finds adapters, devices, services and characteristics.
import type dbus from 'dbus-next';
import { type ManagedObjects, ObjectManagerInterface, propertiesOf } from './bluez-interfaces';

type Bus = ReturnType<typeof dbus.sessionBus>;
type BusInterface = InstanceType<typeof dbus.interface.Interface>;

export class BluezObjectTree {
  private readonly objects = new Map<string, BusInterface[]>();
  private readonly manager: ObjectManagerInterface;

  constructor(private readonly bus: Bus) {
    this.manager = new ObjectManagerInterface(() => this.managedObjects());
    bus.export('/', this.manager);
  }

  has(path: string): boolean {
    return this.objects.has(path);
  }

  add(path: string, interfaces: BusInterface[]): void {
    if (this.objects.has(path)) return;
    this.objects.set(path, interfaces);
    for (const iface of interfaces) this.bus.export(path, iface);
    this.manager.InterfacesAdded(path, this.describe(interfaces));
  }

  /** Remove an object and every object under it, deepest first, as BlueZ does when a device goes. */
  remove(path: string): void {
    const doomed = [...this.objects.keys()].filter((p) => p === path || p.startsWith(`${path}/`)).sort((a, b) => b.length - a.length);
    for (const p of doomed) {
      const interfaces = this.objects.get(p) ?? [];
      this.objects.delete(p);
      // unexport with no interface drops the whole object (with one, dbus-next would too).
      (this.bus as unknown as { unexport(path: string): void }).unexport(p);
      this.manager.InterfacesRemoved(p, interfaces.map((i) => (i as unknown as { $name: string }).$name));
    }
  }

  private describe(interfaces: BusInterface[]): Record<string, ReturnType<typeof propertiesOf>> {
    const described: Record<string, ReturnType<typeof propertiesOf>> = {};
    for (const iface of interfaces) described[(iface as unknown as { $name: string }).$name] = propertiesOf(iface);
    return described;
  }

  private managedObjects(): ManagedObjects {
    const result: ManagedObjects = {};
    for (const [path, interfaces] of this.objects) result[path] = this.describe(interfaces);
    return result;
  }
}
