// The live log console in the browser door, on the virtual sensor node over a pseudo-terminal:
// open it from the device page, send a command and read the answer, follow a 5,000-line flood
// to its end, scroll up and jump back, filter by level and text, search and jump to a match,
// mark a moment onto a case's timeline, attach a selected range of rows to the case, and
// open the closed capture again from disk.
import type { Locator, Page } from '@playwright/test';
import { openVirtualSensorNode } from './fixtures/attach-virtual';
import { expect, screenshot, test } from './fixtures/fieldbench-serve';

const FLOOD = 5000;

async function send(page: Page, command: string): Promise<void> {
  const input = page.getByTestId('console-command');
  await input.fill(command);
  await input.press('Enter');
  await expect(input).toHaveValue('');
}

/** The rendered row whose text contains `text` (only rows on screen, and a few either side, exist). */
function rowWith(lines: Locator, text: string | RegExp): Locator {
  return lines.getByTestId('console-row').filter({ has: lines.page().getByTestId('console-row-text').filter({ hasText: text }) });
}

test.describe('live log console in Chromium', () => {
  test.setTimeout(120_000);

  test('send, follow a flood, filter, search, mark and capture a range to a case', async ({ page, fieldbench, problems }) => {
    const deviceUrl = await openVirtualSensorNode(page, fieldbench.url, 'open-console');

    // A case for the marks and the capture.
    const title = 'Node drops sensor readings under load';
    await page.getByLabel('Case title').fill(title);
    await page.getByRole('button', { name: 'Open case' }).click();
    await expect(page.getByTestId('case-title-heading')).toHaveText(title);
    const caseUrl = page.url();
    await page.goto(deviceUrl);

    await page.getByTestId('open-console').click();
    await expect(page.getByTestId('console-open')).toBeVisible();
    await page.getByLabel('Marks and captures go to').selectOption({ label: `${title} (open)` });
    await page.getByTestId('console-open').click();
    await expect(page.getByTestId('console-state')).toContainText('open');
    const lines = page.getByTestId('console-lines');

    // A command and its answer.
    await send(page, 'device info');
    await expect(rowWith(lines, 'model: sensor-node')).toHaveCount(1);
    await expect(lines.locator('[data-kind="sent"]').filter({ hasText: 'device info' })).toHaveCount(1);
    await screenshot(page, 'console-01-device-info');

    // Tab completes from the profile's commands and the history; Up brings back the last one.
    const input = page.getByTestId('console-command');
    await input.fill('device i');
    await input.press('Tab');
    await expect(input).toHaveValue('device info');
    await input.fill('');
    await input.press('ArrowUp');
    await expect(input).toHaveValue('device info');
    await input.fill('');

    // New settings on the open console: the port is opened again and the change noted in the capture.
    await page.getByLabel('Baud rate').selectOption('921600');
    await page.getByTestId('console-apply').click();
    await expect(lines.locator('[data-kind="note"]').filter({ hasText: 'serial settings changed' })).toHaveCount(1);
    await expect(page.getByLabel('Baud rate')).toHaveValue('921600');

    // The flood: the count reaches it and the view follows to its last line.
    await send(page, `log flood ${FLOOD}`);
    await expect
      .poll(async () => Number(await page.getByTestId('console-counts').getAttribute('data-lines')), { timeout: 60_000 })
      .toBeGreaterThanOrEqual(FLOOD);
    await expect(rowWith(lines, new RegExp(`flood: line ${FLOOD}(?!\\d)`))).toHaveCount(1, { timeout: 30_000 });
    await expect(lines).toHaveAttribute('data-pinned', 'true');
    // Virtualised: thousands of lines, a screenful of rows in the DOM.
    expect(await lines.getByTestId('console-row').count()).toBeLessThan(150);
    await screenshot(page, 'console-02-flood-followed');

    // Paused, the view holds still while capture goes on; resumed, it catches up.
    await page.getByTestId('console-pause').click();
    await send(page, 'battery');
    await expect(page.getByTestId('console-paused')).toHaveText(/^View paused: [1-9]\d* lines? captured since$/);
    await expect(rowWith(lines, /voltage: [\d.]+ V/)).toHaveCount(0);
    await page.getByTestId('console-pause').click();
    await expect(page.getByTestId('console-paused')).toHaveCount(0);
    await expect(rowWith(lines, /voltage: [\d.]+ V/)).toHaveCount(1);

    // Scrolled up, the view stays; new lines are counted; Jump to latest follows again.
    await lines.evaluate((element) => {
      element.scrollTop = 0;
    });
    await expect(page.getByTestId('console-jump')).toBeVisible();
    await expect(lines).toHaveAttribute('data-pinned', 'false');
    await expect(lines.locator('[data-seq="0"]')).toHaveCount(1);
    await send(page, 'kernel uptime');
    await expect(page.getByTestId('console-jump')).toHaveText(/^\d+ new lines? — Jump to latest$/);
    await expect(lines.locator('[data-seq="0"]')).toHaveCount(1);
    await page.getByTestId('console-jump').click();
    await expect(lines).toHaveAttribute('data-pinned', 'true');
    await expect(rowWith(lines, /Uptime: \d+ ms/)).toHaveCount(1);

    // Filter by level: only warnings (and marks, gaps, notes, which always show).
    const filter = page.getByTestId('console-filter');
    for (const level of ['error', 'info', 'debug', 'trace', 'none']) await filter.getByTestId(`console-level-${level}`).uncheck();
    await filter.getByTestId('console-filter-apply').click();
    await expect(lines.locator('[data-kind="device"][data-level="warn"]').first()).toBeVisible();
    await expect(lines.locator('[data-kind="device"]:not([data-level="warn"])')).toHaveCount(0);
    // And by text, over every level.
    for (const level of ['error', 'info', 'debug', 'trace', 'none']) await filter.getByTestId(`console-level-${level}`).check();
    await filter.getByTestId('console-filter-text').fill('flood: line 4321');
    await filter.getByTestId('console-filter-apply').click();
    await expect(rowWith(lines, /flood: line 4321(?!\d)/)).toHaveCount(1);
    await expect(lines.locator('[data-kind="device"]')).toHaveCount(1);
    await screenshot(page, 'console-03-filtered');
    await filter.getByTestId('console-filter-text').fill('');
    await filter.getByTestId('console-filter-apply').click();
    await expect(lines.locator('[data-kind="device"]').nth(5)).toBeVisible();

    // Search the whole capture and jump to the match, far above the view.
    const search = page.getByTestId('console-search');
    await search.getByTestId('console-search-text').fill('flood: line 1234 ');
    await search.getByTestId('console-search-run').click();
    await expect(search.getByTestId('console-search-count')).toHaveText(/^Match 1 of \d+$/);
    const current = lines.locator('[data-current="true"]');
    await expect(current).toHaveCount(1);
    await expect(current).toContainText('flood: line 1234 ');
    await expect(current.locator('mark')).toHaveText('flood: line 1234 ');
    await expect(lines).toHaveAttribute('data-pinned', 'false');
    await screenshot(page, 'console-04-search');

    // Mark a moment onto the case's timeline.
    const marks = page.getByTestId('console-marks');
    await marks.getByTestId('console-mark-label').fill('fault reproduced here');
    await expect(marks.getByTestId('console-mark-case')).toHaveValue(/.+/);
    await marks.getByTestId('console-mark').click();
    await expect(marks.getByTestId('console-mark-item').filter({ hasText: 'fault reproduced here' })).toHaveCount(1);

    // Select a range of rows (click, then shift-click) and attach it to the case.
    const visible = lines.locator('[data-kind="device"]');
    const from = Number(await current.getAttribute('data-seq'));
    await current.click();
    const to = Number(await visible.nth(-2).getAttribute('data-seq'));
    await visible.nth(-2).click({ modifiers: ['Shift'] });
    const capture = page.getByTestId('console-capture');
    await expect(capture.getByTestId('console-selection')).toContainText(`lines ${Math.min(from, to)}–${Math.max(from, to)}`);
    await capture.getByTestId('console-which-selection').check();
    await capture.getByTestId('console-attach-case').selectOption({ label: `${title} (open)` });
    await capture.getByTestId('console-attach').click();
    await expect(page.getByTestId('console-outcome')).toContainText('Attached');
    await screenshot(page, 'console-05-attached');

    // The case has both: the mark on its timeline, the capture among its attachments.
    await page.goto(caseUrl);
    await expect(page.locator('[data-testid="timeline-entry"][data-kind="log-mark"]')).toContainText('fault reproduced here');
    await expect(page.getByTestId('case-attachments').getByTestId('attachment')).toHaveCount(1);
    await screenshot(page, 'console-06-case');

    // Closed, the capture stays on disk: listed on the console page, opened and searched there.
    await page.goto(deviceUrl);
    await page.getByTestId('open-console').click();
    await expect(page.getByTestId('console-close')).toBeVisible();
    await page.getByTestId('console-close').click();
    await expect(page.getByTestId('console-state')).toContainText('closed');
    const listed = page.getByTestId('device-captures').getByTestId('capture-item');
    await expect(listed).toHaveCount(1);
    await listed.getByRole('link').click();
    await expect(page.getByTestId('capture-facts')).toBeVisible();
    const stored = page.getByTestId('console-lines');
    await expect(stored.locator('[data-seq="0"]')).toHaveCount(1);
    await expect(page.getByTestId('console-command')).toHaveCount(0);
    await page.getByTestId('console-search').getByTestId('console-search-text').fill('flood: line 4999 ');
    await page.getByTestId('console-search').getByTestId('console-search-run').click();
    await expect(stored.locator('[data-current="true"]')).toContainText('flood: line 4999 ');
    await screenshot(page, 'console-07-capture-from-disk');
    expect(problems.messages).toEqual([]);
  });
});
