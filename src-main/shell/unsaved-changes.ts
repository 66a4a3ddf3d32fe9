// The page asks to stay when it has unsaved edits (a case's fields being edited). In a
// browser the browser asks the user; in Electron nothing does unless the app does, and the
// window would just refuse to close. So the app asks, as a desktop app should.
import type { BrowserWindow, Dialog, WebContents } from 'electron';

export function askBeforeLeavingUnsaved(
  window: BrowserWindow,
  contents: Pick<WebContents, 'on'>,
  dialog: Pick<Dialog, 'showMessageBoxSync'>,
): void {
  contents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(window, {
      type: 'question',
      buttons: ['Leave without saving', 'Stay'],
      defaultId: 1,
      cancelId: 1,
      title: 'Unsaved changes',
      message: 'This page has changes that are not saved.',
      detail: 'Stay to save them, or leave and lose them.',
    });
    // Preventing the default of this event lets the page go despite its beforeunload.
    if (choice === 0) event.preventDefault();
  });
}
