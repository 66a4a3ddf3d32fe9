// dbus-next 0.10 builds a dictionary's entries from a JavaScript object's keys, which are
// always strings, so a dictionary keyed by an integer type cannot be sent: its marshaller
// refuses "89" where the signature says uint16. BlueZ's ManufacturerData is exactly such a
// dictionary (a{qv}, keyed by company id). This teaches dbus-next's integer marshallers to
// take a canonical decimal string as the number it spells; anything they accepted before is
// unchanged, and anything else is still refused.
import { createRequire } from 'node:module';

type Marshaller = { check(data: unknown): void; marshall(ps: unknown, data: unknown): void };
type Marshallers = { MakeSimpleMarshaller(signature: string): Marshaller; integerDictKeys?: true };

/** Up to 32 bits: a 64-bit key would want a BigInt, and nothing BlueZ sends has one. */
const INTEGER_TYPES = new Set(['y', 'n', 'q', 'i', 'u']);

export function allowIntegerDictionaryKeys(): void {
  const marshallers = createRequire(import.meta.url)('dbus-next/lib/marshallers') as Marshallers;
  if (marshallers.integerDictKeys) return;
  marshallers.integerDictKeys = true;
  const make = marshallers.MakeSimpleMarshaller.bind(marshallers);
  marshallers.MakeSimpleMarshaller = (signature: string): Marshaller => {
    const marshaller = make(signature);
    if (!INTEGER_TYPES.has(signature)) return marshaller;
    const check = marshaller.check.bind(marshaller);
    const marshall = marshaller.marshall.bind(marshaller);
    const asNumber = (data: unknown): unknown => (typeof data === 'string' && /^-?(0|[1-9]\d*)$/.test(data) ? Number(data) : data);
    marshaller.check = (data) => check(asNumber(data));
    marshaller.marshall = (ps, data) => marshall(ps, asNumber(data));
    return marshaller;
  };
}
