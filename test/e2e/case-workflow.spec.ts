// A support engineer's whole loop on one case, in Chromium through `fieldbench serve`: run a
// test procedure on the virtual sensor node into a case, add a note, find the case by a word
// of the note, export it as an escalation bundle, and import it on another machine, where
// the procedure's result, the note and the timeline arrive intact.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachVirtualFromList } from './fixtures/attach-virtual';
import { expect, PageProblems, screenshot, startServe, stopProcess, test } from './fixtures/fieldbench-serve';

const TITLE = 'Node fails bring-up after field return';
const NOTE = 'Cleaned corrosion from the battery clip; bring-up passes again';

test.describe('one case from procedure to escalation', () => {
  test.setTimeout(180_000);
  let files: string;
  test.beforeEach(() => {
    files = mkdtempSync(join(tmpdir(), 'fieldbench-workflow-e2e-'));
  });
  test.afterEach(() => rmSync(files, { recursive: true, force: true }));

  test('run a procedure, add a note, search for it, export the bundle, import it again', async ({ page, fieldbench, problems, browser }) => {
    await page.goto(fieldbench.url);
    await expect(page.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');
    await attachVirtualFromList(page);
    const row = page.getByTestId('device-row').filter({ hasText: 'virtual' });
    await expect(row.getByTestId('device-state')).toHaveText(/Ready/);
    await row.getByTestId('device-link').click();
    const deviceUrl = page.url();

    // A case for the device, then the procedure run into it.
    await page.getByLabel('Case title').fill(TITLE);
    await page.getByRole('button', { name: 'Open case' }).click();
    await expect(page.getByTestId('case-title-heading')).toHaveText(TITLE);
    const caseUrl = page.url();
    await page.goto(deviceUrl);
    const procedures = page.getByTestId('procedures');
    await procedures.getByLabel('Save the result to').selectOption({ label: `${TITLE} (open)` });
    await procedures.getByLabel('Operator').fill('Sam');
    await procedures.getByTestId('procedure-item').filter({ hasText: 'Bench bring-up' }).getByTestId('procedure-start').click();
    const current = procedures.getByTestId('procedure-current');
    await expect(current).toHaveAttribute('data-awaiting', 'confirm');
    await current.getByTestId('procedure-pass').click();
    await current.getByLabel('Measured value (mA)').fill('4.1');
    await current.getByTestId('procedure-record-value').click();
    await expect(procedures.getByTestId('procedure-run')).toHaveAttribute('data-state', 'passed');

    // The note, on the case that now holds the procedure's result.
    await page.goto(caseUrl);
    const procedureEntry = page.locator('[data-testid="timeline-entry"][data-kind="procedure"]');
    await expect(procedureEntry).toContainText('Procedure Bench bring-up passed');
    await page.getByTestId('add-note').click();
    await page.getByTestId('note-text').fill(NOTE);
    await page.getByTestId('note-text').blur();
    await expect(page.getByTestId('note-status')).toHaveAttribute('data-status', 'saved');

    // Found by a word of the note, the word marked.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cases' }).click();
    await page.getByTestId('case-search-input').fill('corrosion');
    await page.getByTestId('case-search-submit').click();
    const hit = page.getByTestId('case-row').filter({ hasText: TITLE });
    await expect(hit).toHaveCount(1);
    await expect(hit.getByTestId('case-match').locator('mark').first()).toHaveText(/corrosion/i);
    await screenshot(page, 'workflow-01-found');

    // Exported from its page...
    await hit.getByTestId('case-link').click();
    await expect(page.getByTestId('case-title-heading')).toHaveText(TITLE);
    const downloading = page.waitForEvent('download');
    await page.getByTestId('export-bundle').click();
    const download = await downloading;
    const bundlePath = join(files, download.suggestedFilename());
    await download.saveAs(bundlePath);

    // ...and imported on another machine, with everything in it.
    const otherData = mkdtempSync(join(tmpdir(), 'fieldbench-workflow-e2e-other-'));
    const other = await startServe(otherData);
    const context = await browser.newContext();
    try {
      const otherPage = await context.newPage();
      const otherProblems = new PageProblems(otherPage);
      await otherPage.goto(other.info.url);
      await expect(otherPage.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');
      await otherPage.goto(`${other.info.url.split('#')[0]}#/cases`);
      await otherPage.getByTestId('import-bundle-input').setInputFiles(bundlePath);
      await expect(otherPage.getByTestId('case-title-heading')).toHaveText(TITLE);
      await expect(otherPage.getByTestId('note-text')).toHaveValue(NOTE);
      await expect(otherPage.locator('[data-testid="timeline-entry"][data-kind="procedure"]')).toContainText('Procedure Bench bring-up passed');
      await expect(otherPage.locator('[data-testid="timeline-entry"][data-kind="imported"]')).toBeVisible();
      await screenshot(otherPage, 'workflow-02-imported');
      expect(otherProblems.messages).toEqual([]);
    } finally {
      await context.close();
      await stopProcess(other.child);
      rmSync(otherData, { recursive: true, force: true });
    }
    expect(problems.messages).toEqual([]);
  });
});
