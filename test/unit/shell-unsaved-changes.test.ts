// The window asks before leaving a page with unsaved edits, and goes only when told to.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { askBeforeLeavingUnsaved } from '../../src-main/shell/unsaved-changes';

function rig(answer: number) {
  const contents = new EventEmitter();
  const asked: { buttons: string[]; cancelId: number }[] = [];
  const dialog = {
    showMessageBoxSync: (_window: unknown, options: { buttons: string[]; cancelId: number }) => {
      asked.push(options);
      return answer;
    },
  };
  askBeforeLeavingUnsaved({} as never, contents as never, dialog as never);
  const unload = () => {
    const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    contents.emit('will-prevent-unload', event);
    return event.defaultPrevented;
  };
  return { unload, asked };
}

describe('leaving a page with unsaved edits', () => {
  it('leaves when the user says so', () => {
    const { unload, asked } = rig(0);
    expect(unload()).toBe(true);
    expect(asked[0]).toMatchObject({ buttons: ['Leave without saving', 'Stay'], cancelId: 1 });
  });

  it('stays when the user says so, or closes the dialog', () => {
    expect(rig(1).unload()).toBe(false);
  });
});
