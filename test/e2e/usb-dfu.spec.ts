// USB DFU in the browser door: attach the virtual STM32 board in its application, open its
// page (ids, DFU runtime, no diagnostics), enter DFU mode and see ST's bootloader with its
// alt settings and the Internal Flash layout, then flash the DfuSe fixture dfuse-pack made
// (read in place) with progress through erase, write and verify, to "Verified".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from '../helpers/firmware-fixtures';
import { attachVirtualFromList } from './fixtures/attach-virtual';
import { expect, PageProblems, screenshot, startServe, stopProcess, test } from './fixtures/fieldbench-serve';

const TWO_ELEMENTS = fixturePath('dfu', 'stm32-two-elements.dfu');
/** Detach, re-enumeration, erase, write, read-back and leave on a board at real speed, with margin. */
const FLASH_DEADLINE_MS = 60_000;

test.describe('USB DFU in Chromium', () => {
  test.setTimeout(180_000);

  test('attach an STM32 board, enter DFU mode, see its memory, flash a DfuSe file with progress to Verified', async ({ page }) => {
    const problems = new PageProblems(page);
    const dataDir = mkdtempSync(join(tmpdir(), 'fieldbench-e2e-usb-'));
    // Twice a real board's time, so each phase of this small file stays on screen long enough to be seen.
    const server = await startServe(dataDir, { FIELDBENCH_VIRTUAL_TIME_SCALE: '2' });
    try {
      await page.goto(server.info.url);
      await expect(page.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');

      await attachVirtualFromList(page, 'stm32-dfu', 'application');
      const row = page.getByTestId('device-row').filter({ hasText: '0483:5740' });
      await expect(row).toHaveCount(1);
      await expect(row.getByTestId('device-transport')).toContainText('USB');
      await expect(row.getByTestId('device-transport')).toContainText('DFU runtime');
      await expect(row.getByTestId('device-state')).toHaveText(/Ready/);
      // Where this machine's USB bus cannot be read, the list says so in a line; the board is listed anyway.
      const notes = page.getByTestId('discovery-notes');
      if ((await notes.count()) > 0) await expect(notes).toContainText('USB');
      await screenshot(page, 'usb-01-devices');

      await row.getByTestId('device-link').click();
      await expect(page.getByTestId('usb-ids')).toHaveText('0483:5740');
      await expect(page.getByTestId('usb-serial')).not.toHaveText('');
      const dfu = page.getByTestId('dfu-details');
      await expect(dfu).toHaveAttribute('data-mode', 'runtime');
      await expect(page.getByTestId('no-diagnostics')).toContainText('No diagnostics for a USB DFU device');
      await expect(page.getByRole('button', { name: 'Refresh' })).toHaveCount(0);

      // Enter DFU mode: a wait with a status line, then the bootloader on the same page (same device id).
      const pageUrl = page.url();
      await page.getByTestId('enter-dfu').click();
      await expect(dfu).toHaveAttribute('data-mode', 'dfu', { timeout: 30_000 });
      expect(page.url()).toBe(pageUrl);
      await expect(page.getByTestId('enter-dfu-error')).toHaveCount(0);
      await expect(page.getByTestId('usb-ids')).toHaveText('0483:df11');
      await expect(page.getByTestId('dfu-version')).toHaveText(/^DfuSe/);
      await expect(page.getByTestId('enter-dfu')).toHaveCount(0);

      // Every alt setting, and Internal Flash as ST's bootloader describes it.
      const alts = page.getByTestId('dfu-alt');
      await expect(alts).toHaveCount(4);
      const flash = alts.filter({ hasText: 'Internal Flash' });
      const regions = flash.getByTestId('dfu-region');
      await expect(regions).toHaveCount(3);
      await expect(regions.nth(0)).toHaveText(/0x08000000\s*64 KiB\s*4 × 16 KiB\s*readable, erasable, writable/);
      await expect(regions.nth(1)).toHaveText(/0x08010000\s*64 KiB\s*1 × 64 KiB/);
      await expect(regions.nth(2)).toHaveText(/0x08020000\s*896 KiB\s*7 × 128 KiB/);
      await screenshot(page, 'usb-02-bootloader');

      // The DfuSe file: inspected, DFU options instead of MCUboot's, no start address (the file has its own).
      const panel = page.getByTestId('firmware-panel');
      await panel.getByLabel('Firmware image').setInputFiles(TWO_ELEMENTS);
      await expect(page.getByTestId('inspection-format')).toHaveText('DfuSe file');
      // Nothing about MCUboot signatures: a DFU bootloader checks none.
      await expect(page.getByTestId('inspection-keys')).toHaveCount(0);
      await expect(page.getByTestId('inspection-warnings')).toHaveCount(0);
      const options = panel.getByTestId('dfu-options');
      await expect(options).toBeVisible();
      await expect(options.getByTestId('dfu-alt-select')).toHaveValue('0');
      await expect(options.getByTestId('dfu-address')).toHaveCount(0);
      await expect(options.getByTestId('dfu-leave')).toBeChecked();
      await expect(options.getByTestId('dfu-ignore-ids')).toHaveCount(0);
      await expect(panel.getByText('Upload only')).toHaveCount(0);

      // Read protection removal asks first: ticking only opens the warning. Backing out leaves it
      // off; confirming arms it with a standing warning; unticking disarms it.
      const unprotect = options.getByTestId('dfu-read-unprotect');
      await unprotect.click();
      await expect(options.getByTestId('dfu-unprotect-confirm')).toContainText('ERASES THE WHOLE FLASH');
      await expect(unprotect).not.toBeChecked();
      await options.getByTestId('dfu-unprotect-no').click();
      await expect(options.getByTestId('dfu-unprotect-confirm')).toHaveCount(0);
      await expect(unprotect).not.toBeChecked();
      await unprotect.click();
      await options.getByTestId('dfu-unprotect-yes').click();
      await expect(unprotect).toBeChecked();
      await expect(options.getByTestId('dfu-unprotect-armed')).toContainText('the whole flash is erased');
      await unprotect.click();
      await expect(unprotect).not.toBeChecked();
      await expect(options.getByTestId('dfu-unprotect-armed')).toHaveCount(0);
      await screenshot(page, 'usb-03-options');

      await panel.getByTestId('firmware-flash').click();
      await expect(panel.getByTestId('firmware-job')).toBeVisible();
      await expect(panel.getByRole('heading', { name: 'Flash stm32-two-elements.dfu' })).toBeVisible();
      // Each byte-moving phase shows its bar with bytes, rate and time left.
      const phase = panel.getByTestId('firmware-progress-phase');
      await expect(phase).toHaveText(/Erasing|Writing|Verifying/, { timeout: 30_000 });
      await expect(panel.getByTestId('firmware-progress-text')).toHaveText(/^\d+% · .+ of .+ · /);
      await screenshot(page, 'usb-04-flashing');

      const outcome = panel.getByTestId('firmware-outcome');
      await expect(outcome).toHaveAttribute('data-outcome', 'verified', { timeout: FLASH_DEADLINE_MS });
      await expect(panel.getByTestId('firmware-outcome-title')).toHaveText('Verified: stm32-two-elements.dfu written and read back identical');
      for (const step of ['preflight', 'erase', 'write', 'verify', 'manifest']) {
        await expect(panel.locator(`[data-testid="firmware-step"][data-step="${step}"]`).first()).toHaveAttribute('data-status', 'done');
      }
      await expect(panel.getByTestId('firmware-cancel')).toHaveCount(0);
      // Leaving DFU mode starts the application again: the same page shows it back in runtime mode.
      await expect(dfu).toHaveAttribute('data-mode', 'runtime', { timeout: 30_000 });
      await screenshot(page, 'usb-05-verified');
      expect(problems.messages).toEqual([]);
    } finally {
      await stopProcess(server.child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
