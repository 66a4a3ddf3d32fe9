// The bench station in the browser door: open #/station, load the quick production recipe
// from the list, attach a tray of three virtual sensor nodes with the second failing its
// self-test, and let auto-start run them: two tiles turn PASS and one FAIL with the self-test
// reason, in type large enough to read across a bench. The failed unit's serial number finds
// its run in the production record, and the production log saves as a CSV of three runs.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, screenshot, test } from './fixtures/fieldbench-serve';

/** Flash 13 KiB over a pseudo-terminal, reboot, run the production check, confirm or reset: three at once. */
const TRAY_DEADLINE_MS = 45_000;
const QUICK_RECIPE = 'Sensor Node 2.0.0 quick production flash';
/** "Large" for a verdict read from across a bench. */
const MIN_VERDICT_PX = 32;

test.describe('bench station in Chromium', () => {
  test.setTimeout(90_000);

  test('a tray of three virtual nodes: two PASS, one FAIL with its reason, found in the record and exported', async ({ page, fieldbench, problems }) => {
    await page.goto(fieldbench.url);
    await expect(page.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Station' }).click();
    await expect(page).toHaveURL(/#\/station$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Station' })).toBeVisible();

    // A recipe with a typo is refused with each problem placed in the file.
    const badDir = await mkdtemp(join(tmpdir(), 'fieldbench-recipe-e2e-'));
    try {
      const quick = await readFile(join(process.cwd(), 'recipes', 'sensor-node-2.0.0-quick.yaml'), 'utf8');
      const badRecipe = join(badDir, 'typo.yaml');
      await writeFile(badRecipe, quick.replace(/^autoStart:/m, 'autoStrat:'));
      await page.getByTestId('station-recipe-path').fill(badRecipe);
      await page.getByTestId('station-recipe-path-load').click();
      const refusal = page.getByTestId('station-load-error');
      await expect(refusal).toContainText('autoStrat');
      await expect(refusal.locator('.error-issues li').filter({ hasText: /line \d+, column \d+/ }).first()).toBeVisible();
    } finally {
      await rm(badDir, { recursive: true, force: true });
    }

    // The recipe list offers the quick recipe; loading it checks the image once and shows its facts.
    const row = page.getByTestId('station-recipe-row').filter({ hasText: QUICK_RECIPE });
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('station-recipe-problem')).toHaveCount(0);
    await row.getByTestId('station-recipe-load').click();
    const band = page.getByTestId('station-recipe');
    await expect(band.getByRole('heading', { name: new RegExp(QUICK_RECIPE) })).toContainText('revision 2.0.0-q1');
    await expect(page.getByTestId('station-image-hash')).toHaveText('d0ffce7440e2');
    await expect(page.getByTestId('station-image-hash')).toHaveAttribute('title', 'd0ffce7440e2274646447318297f71ecfd4822ac566151ce758391a15ab2bd87');
    await expect(page.getByTestId('station-autostart')).toBeChecked();
    await expect(page.getByTestId('station-operator-needed')).toHaveCount(0);
    await expect(page.getByTestId('station-no-units')).toBeVisible();
    await screenshot(page, 'station-01-recipe-loaded');

    // Three virtual nodes, the second with a sensor that fails its self-test.
    const tray = page.getByTestId('station-tray');
    await tray.getByTestId('station-tray-count').fill('3');
    await tray.getByTestId('station-tray-model').selectOption('sensor-node');
    await tray.getByTestId('station-tray-add-fault').click();
    const fault = tray.getByTestId('station-tray-fault');
    await fault.getByTestId('station-tray-fault-unit').selectOption('2');
    await fault.getByTestId('station-tray-fault-preset').selectOption({ label: 'self-test fails (sensor)' });
    await tray.getByTestId('station-tray-attach').click();

    // Auto-start runs them all: two PASS, one FAIL naming the self-test.
    const tiles = page.getByTestId('station-tile');
    await expect(tiles).toHaveCount(3);
    await screenshot(page, 'station-02-running');
    const passed = page.locator('[data-testid="station-tile"][data-state="passed"]');
    const failed = page.locator('[data-testid="station-tile"][data-state="failed"]');
    await expect(passed).toHaveCount(2, { timeout: TRAY_DEADLINE_MS });
    await expect(failed).toHaveCount(1, { timeout: TRAY_DEADLINE_MS });
    await expect(passed.getByTestId('station-verdict')).toHaveText(['PASS', 'PASS']);
    await expect(passed.first().getByTestId('station-detail')).toHaveText(/^version 2\.0\.0(\+\d+)?$/);
    await expect(failed.getByTestId('station-verdict')).toHaveText('FAIL');
    await expect(failed.getByTestId('station-detail')).toContainText(/self-test/i);
    await expect(page.getByTestId('station-count-passed')).toHaveAttribute('data-value', '2');
    await expect(page.getByTestId('station-count-failed')).toHaveAttribute('data-value', '1');
    await expect(page.getByTestId('station-count-running')).toHaveAttribute('data-value', '0');

    // Readable from across the bench: visible, large, and the word as well as the colour.
    const verdict = failed.getByTestId('station-verdict');
    await expect(verdict).toBeVisible();
    const px = await verdict.evaluate((element) => Number.parseFloat(getComputedStyle(element).fontSize));
    expect(px).toBeGreaterThanOrEqual(MIN_VERDICT_PX);
    const [failColour, passColour] = await Promise.all([
      failed.evaluate((element) => getComputedStyle(element).backgroundColor),
      passed.first().evaluate((element) => getComputedStyle(element).backgroundColor),
    ]);
    expect(failColour).not.toBe(passColour);
    await screenshot(page, 'station-03-verdicts');

    // The failed unit's serial number finds its run in the production record.
    const serial = await failed.getAttribute('data-serial');
    expect(serial).toBeTruthy();
    await page.getByTestId('station-record-serial').fill(serial!);
    await page.getByTestId('station-record-search').click();
    const runs = page.getByTestId('station-record-run');
    await expect(runs).toHaveCount(1);
    await expect(runs).toHaveAttribute('data-outcome', 'Failed');
    await expect(runs.getByTestId('station-record-reason')).toContainText(/self-test/i);
    await runs.getByRole('button', { name: /Show \d+ steps/ }).click();
    await expect(page.getByTestId('station-record-steps').getByText(/^Fail · Self-test/)).toHaveCount(1);

    // The production log as CSV: a header and one line per run.
    await page.getByTestId('station-export-csv').check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('station-export').click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const csv = (await readFile((await download.path())!, 'utf8')).trimEnd().split(/\r?\n/);
    expect(csv).toHaveLength(4);
    expect(csv[0]).toMatch(/serial/i);
    expect(csv.filter((line) => line.includes(serial!))).toHaveLength(1);
    await expect(page.getByTestId('station-export-saved')).toContainText('3 runs');
    await screenshot(page, 'station-04-record');

    expect(problems.messages).toEqual([]);
  });
});
