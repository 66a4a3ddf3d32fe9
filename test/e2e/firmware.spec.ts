// Firmware updates in the browser door: attach the virtual sensor node, read its SMP info
// and slots, pick an MCUboot image made in the test, see its inspection, flash it with
// progress and steps to "confirmed", then flash a newer one with "do not confirm" and see
// MCUboot revert it; the case the device is worked on records every step on its timeline.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { createMcubootImage } from '../../src-main/firmware-images/create-mcuboot-image';
import { openVirtualSensorNode } from './fixtures/attach-virtual';
import { expect, screenshot, test } from './fixtures/fieldbench-serve';

/** Long enough that the upload is seen moving, well inside the profile's 384 KiB slot. */
const PAYLOAD_BYTES = 160 * 1024;
/** Nearly a full slot, so there is time to cancel the upload. */
const LARGE_PAYLOAD_BYTES = 360 * 1024;
/** Upload, reset, reboot, health check and confirm on the virtual node. */
const UPDATE_DEADLINE_MS = 75_000;

function writeImage(dir: string, version: string, payloadBytes = PAYLOAD_BYTES): string {
  const payload = new Uint8Array(payloadBytes);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + version.length) & 0xff;
  const path = join(dir, `sensor-node-${version.replace('+', '-')}.signed.bin`);
  writeFileSync(path, createMcubootImage({ version, payload }));
  return path;
}

/** The slot row of a version in a slot table, and its flags in words. */
function slotRow(page: Page, table: string, version: string) {
  return page.getByTestId(table).getByTestId('slot-row').filter({ has: page.getByRole('rowheader', { name: version, exact: true }) });
}

test.describe('firmware update in Chromium', () => {
  test.setTimeout(240_000);
  let imageDir: string;
  test.beforeEach(() => {
    imageDir = mkdtempSync(join(tmpdir(), 'fieldbench-fw-e2e-'));
  });
  test.afterEach(() => rmSync(imageDir, { recursive: true, force: true }));

  test('flash an image to confirmed, then test another and see it reverted, with the steps on the case timeline', async ({ page, fieldbench, problems }) => {
    // The virtual sensor node, and a case opened for it (the panel records steps on it).
    await openVirtualSensorNode(page, fieldbench.url, 'firmware-panel');
    const deviceUrl = page.url();
    const title = 'Update to 1.5.0 in the field';
    await page.getByLabel('Case title').fill(title);
    await page.getByRole('button', { name: 'Open case' }).click();
    await expect(page.getByTestId('case-title-heading')).toHaveText(title);
    const caseUrl = page.url();
    await page.goto(deviceUrl);

    // SMP readings: parameters, OS, bootloader, and the slots as they are.
    await page.getByRole('button', { name: 'Read SMP info' }).click();
    await expect(page.getByTestId('smp-info')).toBeVisible();
    await expect(page.getByTestId('smp-bootloader')).not.toHaveText('');
    const slotsNow = page.getByTestId('smp-slots-table');
    await expect(slotsNow.getByTestId('slot-row').first()).toBeVisible();
    await expect(slotsNow.getByTestId('slot-row').filter({ hasText: 'active' })).toHaveCount(1);
    await screenshot(page, 'fw-01-smp-readings');

    // Pick the image: the inspection says what it is before anything touches the device.
    const panel = page.getByTestId('firmware-panel');
    await panel.getByLabel('Firmware image').setInputFiles(writeImage(imageDir, '1.5.0+0'));
    const inspection = page.getByTestId('image-inspection');
    await expect(inspection.getByTestId('inspection-format')).toHaveText('MCUboot image');
    await expect(inspection.getByTestId('inspection-version')).toHaveText('1.5.0+0');
    await expect(inspection.getByTestId('inspection-hash')).toContainText('Hash OK');
    await expect(inspection.getByTestId('inspection-warnings')).toContainText(/sign/i);
    await expect(panel.getByTestId('firmware-case')).toHaveValue(caseUrl.split('/').at(-1)!);
    await screenshot(page, 'fw-02-inspection');

    // Flash: progress with rate and time left, a live step list, then an unmistakable end.
    await panel.getByTestId('firmware-flash').click();
    await expect(panel.getByTestId('firmware-job')).toBeVisible();
    await expect(panel.getByTestId('firmware-progress-text')).toHaveText(/^\d+% · .+ of .+ · .+\/s/, { timeout: 30_000 });
    await expect(panel.getByTestId('firmware-cancel')).toBeEnabled();
    await screenshot(page, 'fw-03-uploading');
    await expect(panel.getByTestId('firmware-step').filter({ hasText: 'Upload' }).first()).toHaveAttribute('data-status', /running|done/);
    // Once the device is switching images, Cancel is refused, and the panel says why.
    await expect(panel.getByTestId('firmware-cancel-explanation')).toContainText('switching images', { timeout: 30_000 });
    await expect(panel.getByTestId('firmware-cancel')).toBeDisabled();
    const outcome = panel.getByTestId('firmware-outcome');
    await expect(outcome).toHaveAttribute('data-outcome', 'confirmed', { timeout: UPDATE_DEADLINE_MS });
    await expect(panel.getByTestId('firmware-outcome-title')).toHaveText('Confirmed: the device runs 1.5.0');
    for (const step of ['preflight', 'upload', 'test', 'reset', 'reconnect', 'verify', 'health-check', 'confirm']) {
      await expect(panel.locator(`[data-testid="firmware-step"][data-step="${step}"]`).first()).toHaveAttribute('data-status', 'done');
    }
    await expect(panel.getByTestId('firmware-cancel')).toHaveCount(0);
    const confirmed = slotRow(page, 'slots-after', '1.5.0');
    await expect(confirmed.getByTestId('slot-state')).toHaveText(/active/);
    await expect(confirmed.getByTestId('slot-state')).toHaveText(/confirmed/);
    await expect(slotRow(page, 'slots-before', '1.5.0')).toHaveCount(0);
    await expect(slotRow(page, 'smp-slots-table', '1.5.0').getByTestId('slot-state')).toHaveText(/active, confirmed/);
    await expect(page.getByTestId('identity-firmware')).toHaveText('1.5.0');
    await screenshot(page, 'fw-04-confirmed');

    // A newer image, booted for a test only: MCUboot goes back to 1.5.0.
    await panel.getByLabel('Firmware image').setInputFiles(writeImage(imageDir, '1.6.0+0'));
    await expect(inspection.getByTestId('inspection-version')).toHaveText('1.6.0+0');
    await panel.getByLabel('Do not confirm (test and revert)').check();
    await panel.getByTestId('firmware-flash').click();
    await expect(panel.getByTestId('firmware-outcome')).toHaveAttribute('data-outcome', 'reverted', { timeout: UPDATE_DEADLINE_MS });
    await expect(panel.getByTestId('firmware-outcome-title')).toHaveText('Reverted: the device runs 1.5.0 again');
    await expect(panel.getByTestId('firmware-outcome')).toContainText('Reason: asked not to confirm');
    await expect(slotRow(page, 'slots-after', '1.5.0').getByTestId('slot-state')).toHaveText(/active, confirmed/);
    await screenshot(page, 'fw-05-reverted');

    // The case timeline has both updates, oldest first, after the case was opened.
    await page.goto(caseUrl);
    const timeline = page.getByTestId('case-timeline');
    await expect(timeline.getByTestId('timeline-entry').first()).toHaveAttribute('data-kind', 'case-opened');
    await expect(timeline.getByTestId('timeline-entry').filter({ hasText: 'Firmware update confirmed' })).toHaveCount(1);
    await expect(timeline.getByTestId('timeline-entry').filter({ hasText: 'Firmware update reverted' })).toHaveCount(1);
    await screenshot(page, 'fw-06-case-timeline');

    expect(await page.locator('[style]').count()).toBe(0);
    expect(problems.messages).toEqual([]);
  });

  test('an image dropped on the panel uploads until Cancel, and the device keeps its image', async ({ page, fieldbench, problems }) => {
    await openVirtualSensorNode(page, fieldbench.url, 'firmware-panel');

    // Drop the file as a file manager would: a drop event carrying it.
    const bytes = readFileSync(writeImage(imageDir, '1.7.0+0', LARGE_PAYLOAD_BYTES));
    const panel = page.getByTestId('firmware-panel');
    const dataTransfer = await page.evaluateHandle((base64) => {
      const transfer = new DataTransfer();
      const content = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([content], 'dropped-1.7.0.signed.bin', { type: 'application/octet-stream' }));
      return transfer;
    }, bytes.toString('base64'));
    await panel.dispatchEvent('dragover', { dataTransfer });
    await expect(panel.getByText('Drop the image to inspect it')).toBeVisible();
    await panel.dispatchEvent('drop', { dataTransfer });
    await expect(page.getByTestId('image-inspection').getByTestId('inspection-version')).toHaveText('1.7.0+0');

    await panel.getByTestId('firmware-flash').click();
    await expect(panel.getByTestId('firmware-progress-text')).toBeVisible({ timeout: 30_000 });
    await panel.getByTestId('firmware-cancel').click();
    await expect(panel.getByTestId('firmware-outcome')).toHaveAttribute('data-outcome', 'cancelled', { timeout: 30_000 });
    await expect(panel.getByTestId('firmware-outcome')).toContainText('the device still runs its previous image');
    await expect(panel.locator('[data-testid="firmware-step"][data-step="upload"]')).toHaveAttribute('data-status', 'failed');
    await expect(slotRow(page, 'slots-after', '1.4.2').getByTestId('slot-state')).toHaveText(/active, confirmed/);
    await screenshot(page, 'fw-07-cancelled');
    expect(problems.messages).toEqual([]);
  });
});
