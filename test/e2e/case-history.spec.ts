// The case history screens in Chromium against a real `fieldbench serve`: a case's fields,
// tags, an attached capture and a note; a save that meets another window's change; the note
// found by search with its words marked; a tag filter; and the device's history.
import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { attachVirtualFromList } from './fixtures/attach-virtual';
import { expect, screenshot, test } from './fixtures/fieldbench-serve';

/** A change from "another window": the page's own cookie-authenticated socket, outside the app's stores. */
async function updateFromElsewhere(page: Page, caseId: string, fields: Record<string, unknown>): Promise<void> {
  const ok = await page.evaluate(
    async ({ id, patch }) => {
      const socket = new WebSocket(`ws://${location.host}/api`);
      await new Promise((resolve) => (socket.onopen = resolve));
      socket.send(JSON.stringify({ id: 1, channel: 'cases.update', payload: { caseId: id, fields: patch } }));
      const answer = await new Promise<boolean>((resolve) => {
        socket.onmessage = (event) => {
          const message = JSON.parse(String(event.data)) as { kind: string; envelope?: { ok: boolean } };
          if (message.kind === 'response' && message.envelope) resolve(message.envelope.ok);
        };
      });
      socket.close();
      return answer;
    },
    { id: caseId, patch: fields },
  );
  expect(ok).toBe(true);
}

async function openCaseFromDevicePage(page: Page, title: string): Promise<string> {
  await page.getByLabel('Case title').fill(title);
  await page.getByRole('button', { name: 'Open case' }).click();
  await expect(page).toHaveURL(/#\/cases\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('case-title-heading')).toHaveText(title);
  return page.url().split('/').at(-1)!;
}

test('case fields, tags, an attachment and a note; a conflicting save; search, a tag filter and the device history', async ({ page, fieldbench, problems }) => {
  await page.goto(fieldbench.url);
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');
  await attachVirtualFromList(page);
  const row = page.getByTestId('device-row').filter({ hasText: 'virtual' });
  await expect(row.getByTestId('device-state')).toHaveText(/Ready/);
  const serial = (await row.getByTestId('device-serial').textContent())!.trim();
  await row.getByTestId('device-link').click();
  const deviceUrl = page.url();

  // An earlier visit of the same unit, so the history has more than one case.
  await openCaseFromDevicePage(page, 'First visit: radio drops');
  await page.goto(deviceUrl);
  const caseId = await openCaseFromDevicePage(page, `Resets at night ${serial}`);

  // Fields: typed, a severity, a tag as a chip (folded as the store keeps it), then saved.
  const fields = page.getByTestId('case-fields');
  await fields.getByLabel('Customer or site').fill('Harbour pumping station');
  await fields.getByLabel('Asset id').fill('PUMP-7');
  await fields.getByLabel('Symptom').fill('Node resets between 02:00 and 03:00');
  await fields.getByLabel('Severity').selectOption('high');
  await expect(page.getByTestId('case-fields-state')).toHaveText('Unsaved changes');
  await page.getByTestId('tag-input').fill('  Brownout ');
  await page.getByTestId('tag-input').press('Enter');
  await expect(page.getByTestId('tag-chip')).toHaveText(['brownout×']);
  await fields.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByTestId('case-fields-state')).toHaveText('Saved');
  await expect(page.getByTestId('timeline-entry').filter({ hasText: /set severity to “high”/i })).toHaveCount(1);
  await expect(page.getByTestId('timeline-entry').filter({ hasText: 'tags: added brownout' })).toHaveCount(1);

  // Leaving with unsaved edits asks first: staying keeps the page, leaving keeps the edits for later.
  await fields.getByLabel('Severity').selectOption('critical');
  const caseUrlBeforeLeaving = page.url();
  page.once('dialog', (dialog) => {
    expect(dialog.message()).toMatch(/not saved/);
    void dialog.dismiss();
  });
  await page.getByRole('link', { name: 'Cases' }).first().click();
  expect(page.url()).toBe(caseUrlBeforeLeaving);
  await expect(page.getByTestId('case-fields-state')).toHaveText('Unsaved changes');
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('link', { name: 'Cases' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Cases' })).toBeVisible();
  await page.goBack();
  await expect(page.getByTestId('case-title-heading')).toContainText('Resets at night');
  await expect(fields.getByLabel('Severity')).toHaveValue('critical');
  await expect(page.getByTestId('case-fields-state')).toHaveText('Unsaved changes');

  // Another window saves a different severity meanwhile: the save stops and shows both.
  await updateFromElsewhere(page, caseId, { severity: 'low', rootCause: 'Supply sags when the pump starts' });
  await fields.getByRole('button', { name: 'Save changes' }).click();
  const conflict = page.getByTestId('case-fields-conflict');
  await expect(conflict).toBeVisible();
  await expect(conflict.getByTestId('conflict-field')).toHaveCount(1);
  await expect(conflict.getByTestId('conflict-mine')).toHaveText('Critical');
  await expect(conflict.getByTestId('conflict-theirs')).toHaveText('Low');
  await expect(conflict).toContainText('root cause');
  await screenshot(page, 'case-history-01-conflict');
  await conflict.getByRole('button', { name: 'Save mine over theirs' }).click();
  await expect(conflict).toHaveCount(0);
  await expect(page.getByTestId('case-fields-state')).toHaveText('Saved');
  await expect(fields.getByLabel('Severity')).toHaveValue('critical');
  // Their root cause was kept, and is shown with the resolution fields.
  await expect(fields.getByLabel('Root cause')).toHaveValue('Supply sags when the pump starts');

  // A text capture attached, read in place, and saved back as a download.
  const capture = '[02:13:07] <wrn> supply: brownout detected, vbat=2.91 V\n[02:13:08] <err> system: reset (BOR)\n';
  await page.getByTestId('attach-input').setInputFiles({ name: 'uart-capture.log', mimeType: 'text/plain', buffer: Buffer.from(capture) });
  const attachment = page.getByTestId('attachment').filter({ hasText: 'uart-capture.log' });
  await expect(attachment).toContainText('text/plain');
  await expect(attachment).toContainText(`${Buffer.byteLength(capture)} B`);
  await attachment.getByRole('button', { name: 'Show text' }).click();
  await expect(attachment.getByTestId('attachment-preview')).toHaveText(capture);
  const caseUrl = page.url();
  const [download] = await Promise.all([page.waitForEvent('download'), attachment.getByRole('button', { name: 'Save a copy' }).click()]);
  expect(download.suggestedFilename()).toBe('uart-capture.log');
  expect(await readFile((await download.path())!, 'utf8')).toBe(capture);
  expect(page.url()).toBe(caseUrl);
  await expect(page.getByTestId('timeline-entry').filter({ hasText: 'Attached uart-capture.log' })).toHaveCount(1);

  // A note, saved as typed.
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.getByTestId('note-text').first().pressSequentially('Swapped the regulator; the pump motor still pulls the rail down', { delay: 2 });
  await expect(page.getByTestId('note-status').first()).toHaveText('Saved');
  await screenshot(page, 'case-history-02-case');

  // Search for a word of the note: the case is found and the word is marked in the snippet.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cases' }).click();
  const search = page.getByTestId('case-search-input');
  await search.fill('regulator');
  await search.press('Enter');
  const hits = page.getByTestId('case-row');
  await expect(hits).toHaveCount(1);
  await expect(hits.first()).toContainText('Resets at night');
  const noteMatch = hits.first().getByTestId('case-match').filter({ has: page.locator('mark') }).filter({ hasText: 'Note' });
  await expect(noteMatch.locator('mark')).toHaveText(['regulator']);
  await expect(page.getByTestId('case-results-count')).toHaveText('1–1 of 1 case');
  // A word of the attached capture is found too.
  await search.fill('BOR');
  await expect(hits.first().getByTestId('case-match').filter({ hasText: 'Attachment' }).locator('mark')).toHaveText(['BOR']);
  await screenshot(page, 'case-history-03-search');

  // Escape empties the box; with no words, the tag filter alone lists by tag.
  await search.press('Escape');
  await expect(search).toHaveValue('');
  await page.getByTestId('case-filter').getByText('All', { exact: true }).click();
  await expect(hits).toHaveCount(2);
  await page.getByTestId('case-filter-tag').fill('brownout');
  await expect(hits).toHaveCount(1);
  await expect(hits.first()).toContainText('Resets at night');
  await page.getByTestId('case-filter-tag').fill('no-such-tag');
  await expect(page.getByTestId('case-search-empty')).toBeVisible();
  // A date range that ends before it starts is refused with what to do about it.
  await page.getByTestId('case-filter-tag').fill('');
  await page.getByTestId('case-filter-from').fill('2030-01-02');
  await page.getByTestId('case-filter-to').fill('2030-01-01');
  await expect(page.getByTestId('case-search-error')).toContainText('after the To date');
  await expect(page.getByTestId('case-search-error')).toContainText('Swap the two dates');
  await page.getByRole('button', { name: 'Clear all' }).click();
  await expect(page.getByTestId('case-search-error')).toHaveCount(0);

  // The device's history: both cases for its serial number, newest first, each a link.
  await page.goto(deviceUrl);
  const history = page.getByTestId('device-history');
  await expect(history.getByTestId('device-history-case')).toHaveCount(2);
  await expect(history.getByTestId('device-history-case').first()).toContainText('Resets at night');
  await expect(history.getByTestId('device-history-case').nth(1)).toContainText('First visit');
  await screenshot(page, 'case-history-04-device-history');
  await history.getByRole('link', { name: /First visit/ }).click();
  await expect(page.getByTestId('case-title-heading')).toHaveText('First visit: radio drops');

  expect(problems.messages).toEqual([]);
});
