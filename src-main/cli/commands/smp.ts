// `fieldbench smp echo|info|params|images|reset --port PATH [--json]`: talk MCUmgr to a device.
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson, table, UsageError } from '../output';
import { identifiedDevice } from './diag';
import { describeSlots } from '../../core/firmware/image-slots';

export const SMP_ACTIONS = ['echo', 'info', 'params', 'images', 'reset'] as const;
export type SmpAction = (typeof SMP_ACTIONS)[number];

export function isSmpAction(value: string | undefined): value is SmpAction {
  return (SMP_ACTIONS as readonly string[]).includes(value ?? '');
}

export async function smpCommand(session: CoreSessionOptions, action: SmpAction, port: string, text: string | undefined, json: boolean): Promise<number> {
  if (action === 'echo' && text === undefined) throw new UsageError('smp echo needs the text to send: fieldbench smp echo hello --port PATH');
  return withCore(session, async (core) => {
    const { id: deviceId } = await identifiedDevice(core, port);
    const out = (value: unknown, human: string) => (json ? printJson(session.io, value) : session.io.out(human));
    switch (action) {
      case 'echo': {
        const answer = await call(core, 'smp.echo', { deviceId, text: text ?? '' });
        out(answer, answer.text);
        break;
      }
      case 'info':
      case 'params': {
        const info = await call(core, 'smp.info', { deviceId });
        const params = info.params ? `buffer ${info.params.bufSize} bytes × ${info.params.bufCount}` : 'parameters not reported';
        if (action === 'params') out(info.params, params);
        else out(info, [`os: ${info.os ?? '?'}`, `bootloader: ${info.bootloader ?? '?'}${info.bootloaderMode === null ? '' : ` (mode ${info.bootloaderMode})`}`, params].join('\n'));
        break;
      }
      case 'images': {
        const slots = await call(core, 'firmware.slots', { deviceId });
        out(
          slots,
          `${table([
            ['IMAGE', 'SLOT', 'VERSION', 'FLAGS', 'HASH'],
            ...slots.map((s) => [
              String(s.image),
              String(s.slot),
              s.version,
              [s.active && 'active', s.confirmed && 'confirmed', s.pending && 'pending', s.permanent && 'permanent', s.bootable ? 'bootable' : 'not bootable'].filter(Boolean).join(','),
              s.hash,
            ]),
          ])}\nThe device ${describeSlots(slots)}.`,
        );
        break;
      }
      case 'reset':
        out(await call(core, 'smp.reset', { deviceId }), 'reset sent');
        break;
    }
    return EXIT_OK;
  });
}
