// Escalation bundles in the browser door: a case worked on one machine (a virtual device's
// snapshot, a note, an attached log) exported from its page as a download, the page staying
// where it was; then the file imported on a second machine's Cases page, where the imported
// case opens with its note, attachment and a timeline entry naming where it came from. The
// bundle's HTML report opens on its own with the note's markup shown as text, and a damaged
// copy is refused on the page with the reason and what to do.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { attachVirtualFromList } from './fixtures/attach-virtual';
import { expect, PageProblems, screenshot, startServe, stopProcess, test } from './fixtures/fieldbench-serve';

const TITLE = 'Radio drops after the quay install';
const NOTE = 'Antenna cable pinched at the gland <script>alert(1)</script>; replaced it.';
const LOG = 'rf: link lost\nrf: watchdog reset in radio_task\n';

test.describe('escalation bundle in Chromium', () => {
  test.setTimeout(120_000);
  let files: string;
  test.beforeEach(() => {
    files = mkdtempSync(join(tmpdir(), 'fieldbench-bundle-e2e-'));
  });
  test.afterEach(() => rmSync(files, { recursive: true, force: true }));

  test('export a case from its page, import it on another machine, and the imported case opens', async ({ page, fieldbench, problems, browser }) => {
    // A case worked on the first machine.
    await page.goto(fieldbench.url);
    await expect(page.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');
    await attachVirtualFromList(page);
    const row = page.getByTestId('device-row').filter({ hasText: 'virtual' });
    await expect(row.getByTestId('device-state')).toHaveText(/Ready/);
    await row.getByTestId('device-link').click();
    await page.getByLabel('Case title').fill(TITLE);
    await page.getByRole('button', { name: 'Open case' }).click();
    await expect(page.getByTestId('case-title-heading')).toHaveText(TITLE);
    await page.getByTestId('add-note').click();
    await page.getByTestId('note-text').fill(NOTE);
    await page.getByTestId('note-text').blur();
    await expect(page.getByTestId('note-status')).toHaveAttribute('data-status', 'saved');
    const logPath = join(files, 'radio.log');
    writeFileSync(logPath, LOG);
    await page.getByTestId('attach-input').setInputFiles(logPath);
    await expect(page.getByTestId('case-attachments')).toContainText('radio.log');

    // Export: a download, and the page stays on the case.
    const caseUrl = page.url();
    const downloading = page.waitForEvent('download');
    await page.getByTestId('export-bundle').click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^case-radio-drops-after-the-quay-install-[0-9a-f]{8}\.zip$/u);
    const bundlePath = join(files, download.suggestedFilename());
    await download.saveAs(bundlePath);
    const zip = readFileSync(bundlePath);
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    expect(page.url()).toBe(caseUrl);
    await expect(page.getByTestId('case-title-heading')).toHaveText(TITLE);
    await screenshot(page, 'bundle-01-exported');

    // The printable report opens on its own, and the note's markup is only text in it.
    const reportContext = await browser.newContext({ offline: true });
    try {
      const reportPage = await reportContext.newPage();
      const reportProblems = new PageProblems(reportPage);
      let dialogs = 0;
      reportPage.on('dialog', (dialog) => {
        dialogs += 1;
        void dialog.dismiss();
      });
      await reportPage.setContent(new TextDecoder().decode(unzipSync(zip)['report.html']));
      await expect(reportPage.getByRole('heading', { level: 1 })).toHaveText(TITLE);
      await expect(reportPage.locator('pre.note')).toHaveText(NOTE);
      await expect(reportPage.locator('script')).toHaveCount(0);
      expect(dialogs).toBe(0);
      expect(reportProblems.messages).toEqual([]);
    } finally {
      await reportContext.close();
    }

    // The second machine: its own fieldbench serve and data folder.
    const otherData = mkdtempSync(join(tmpdir(), 'fieldbench-bundle-e2e-other-'));
    const other = await startServe(otherData);
    const context = await browser.newContext();
    try {
      const otherPage = await context.newPage();
      const otherProblems = new PageProblems(otherPage);
      await otherPage.goto(other.info.url);
      await expect(otherPage.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');
      await otherPage.goto(`${other.info.url.split('#')[0]}#/cases`);
      await expect(otherPage.getByTestId('import-bundle')).toBeVisible();

      // A copy cut short in transit is refused, with the reason and what to do.
      const damagedPath = join(files, 'damaged.zip');
      writeFileSync(damagedPath, zip.subarray(0, Math.floor(zip.length / 2)));
      await otherPage.getByTestId('import-bundle-input').setInputFiles(damagedPath);
      const refusal = otherPage.getByTestId('import-bundle-error');
      await expect(refusal).toContainText('damaged.zip was not imported');
      await expect(refusal.locator('.error-hint')).toContainText(/export the case again/u);
      await screenshot(otherPage, 'bundle-02-refused');

      // The real one imports, and its case opens.
      await otherPage.getByTestId('import-bundle-input').setInputFiles(bundlePath);
      await expect(otherPage.getByTestId('case-title-heading')).toHaveText(TITLE);
      await expect(otherPage.getByTestId('note-text')).toHaveValue(NOTE);
      await expect(otherPage.getByTestId('case-attachments')).toContainText('radio.log');
      const imported = otherPage.locator('[data-testid="timeline-entry"][data-kind="imported"]');
      await expect(imported).toContainText(`Imported from bundle ${download.suggestedFilename()}`);
      await expect(otherPage.getByTestId('timeline-entry').filter({ hasText: 'Diagnostics snapshot' }).first()).toBeVisible();
      await screenshot(otherPage, 'bundle-03-imported');

      // Searchable on the second machine like any case of its own.
      await otherPage.goto(`${other.info.url.split('#')[0]}#/cases`);
      await otherPage.getByTestId('case-search-input').fill('gland');
      await otherPage.getByTestId('case-search-submit').click();
      await expect(otherPage.getByText(TITLE)).toBeVisible();
      expect(otherProblems.messages).toEqual([]);
    } finally {
      await context.close();
      await stopProcess(other.child);
      rmSync(otherData, { recursive: true, force: true });
    }
    expect(problems.messages).toEqual([]);
  });
});
