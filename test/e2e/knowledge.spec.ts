// The knowledge base in Chromium against a real `fieldbench serve`: the article list and an
// article, a hostile local article that must render as inert text, and the "Known issues"
// box on a device page after a diagnostics read and on its case, followed to the article;
// then a draft written from the resolved case.
//
// The virtual sensor node attached from the page has no fault knob for a flat battery, so
// a lab rule written as a local article (it replaces the shipped low-battery article, as a
// team's own article does) flags any node below full charge, which every virtual node is.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attachVirtualFromList } from './fixtures/attach-virtual';
import { expect, screenshot, test } from './fixtures/fieldbench-serve';

const HOSTILE = `---
id: hostile-article
title: A hostile article
symptoms: [Someone pasted HTML into an article]
tags: [test]
---

# A hostile article

<script>window.__kbPwned = 'script'</script>

<img src="x" onerror="window.__kbPwned = 'img'">

Inline <b onmouseover="window.__kbPwned = 'hover'">bold</b> and [a trap](javascript:window.__kbPwned='link') and [the docs](https://example.com/docs).

<div onclick="window.__kbPwned = 'div'"><iframe src="https://example.com"></iframe></div>
`;

const LAB_RULE = `---
id: sensor-node-low-battery-brownout
title: "Lab rule: charge sensor nodes to full before a soak test"
symptoms: [A node below full charge browns out during a long soak test]
readings:
  - { id: battery-voltage, below: 4.3 }
models: [fieldbench-sensor-node]
tags: [battery, lab]
---

Charge the node to **4.2 V** before the soak test starts.
`;

test('Knowledge base: articles, safe rendering, known issues on a device and its case, a draft from the case', async ({ page, fieldbench, problems }) => {
  await page.goto(fieldbench.url);
  await expect(page.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');

  // The list of shipped articles, then an article found by its words.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Knowledge' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Knowledge base' })).toBeVisible();
  expect(await page.getByTestId('kb-article-row').count()).toBeGreaterThanOrEqual(6);
  await page.getByTestId('kb-search').fill('read-unprotect');
  await expect(page.getByTestId('kb-article-row')).toHaveCount(1);
  await page.getByTestId('kb-article-row').getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('STM32 DfuSe: flashing fails because read protection is on');
  await expect(page.getByTestId('kb-article-facts')).toContainText('stm32-system-bootloader');
  await expect(page.getByTestId('kb-article-body').getByRole('heading', { name: 'What to do' })).toBeVisible();
  await screenshot(page, 'kb-01-article');

  // Articles written on this machine appear after Reload; a hostile one is only text.
  const local = join(fieldbench.dataDir, 'knowledge-base');
  mkdirSync(local, { recursive: true });
  writeFileSync(join(local, 'hostile-article.md'), HOSTILE);
  writeFileSync(join(local, 'lab-battery.md'), LAB_RULE);
  await page.getByRole('link', { name: 'Knowledge base' }).click();
  await page.getByTestId('kb-search').fill('');
  await page.getByRole('button', { name: 'Reload articles' }).click();
  await page.getByTestId('kb-article-row').getByRole('link', { name: 'A hostile article' }).click();
  const body = page.getByTestId('kb-article-body');
  await expect(body).toContainText("<script>window.__kbPwned = 'script'</script>");
  await expect(body).toContainText('<img src="x" onerror=');
  await expect(body).toContainText('the docs (https://example.com/docs)');
  await body.getByText('bold').first().hover();
  await body.getByText('a trap').first().click();
  expect(await page.evaluate(() => (window as unknown as { __kbPwned?: string }).__kbPwned)).toBeUndefined();
  const inert = await page.evaluate(() => {
    const all = [...document.querySelectorAll('*')];
    return {
      onAttributes: all.filter((el) => [...el.attributes].some((a) => a.name.toLowerCase().startsWith('on'))).map((el) => el.outerHTML.slice(0, 80)),
      scriptsInBody: document.querySelectorAll('body script, body iframe, body img').length,
      links: [...document.querySelectorAll('[data-testid="kb-article-body"] a')].length,
    };
  });
  expect(inert).toEqual({ onAttributes: [], scriptsInBody: 0, links: 0 });
  expect(page.url()).toMatch(/#\/knowledge\/hostile-article$/);

  // A device: its readings after a read bring up the article that fits, with the reason.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
  await attachVirtualFromList(page);
  const row = page.getByTestId('device-row').filter({ hasText: 'virtual' });
  await expect(row.getByTestId('device-state')).toHaveText(/Ready/);
  await row.getByTestId('device-link').click();
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(page.getByTestId('diagnostics-table')).toBeVisible();
  const known = page.getByTestId('known-issues');
  const suggestion = known.getByTestId('suggestion').filter({ hasText: 'Lab rule: charge sensor nodes to full' });
  await expect(suggestion).toContainText(/reading battery-voltage \d(\.\d+)? V is below 4\.3 V/);
  await expect(suggestion).toContainText('written for fieldbench-sensor-node');
  await screenshot(page, 'kb-02-device-known-issues');

  // Its case shows the same from its snapshot.
  await page.getByLabel('Case title').fill('Soak test node restarted');
  await page.getByRole('button', { name: 'Open case' }).click();
  await expect(page).toHaveURL(/#\/cases\/[0-9a-f-]{36}$/);
  const caseSuggestion = page.getByTestId('known-issues').getByTestId('suggestion').filter({ hasText: 'Lab rule' });
  await expect(caseSuggestion).toContainText(/reading battery-voltage .* is below 4\.3 V/);

  // A resolved case can be written up as a draft article.
  await expect(page.getByTestId('draft-article')).toHaveCount(0);
  await page.getByRole('button', { name: 'Mark as resolved' }).click();
  await page.getByTestId('draft-article').click();
  await expect(page.getByTestId('draft-written')).toContainText(join(local, 'drafts'));
  await page.getByTestId('draft-written').getByRole('link', { name: 'Open the draft' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Soak test node restarted');
  await expect(page.getByTestId('kb-article-facts')).toContainText('Draft');

  // Following a suggestion opens its article.
  await page.goBack();
  await page.getByTestId('known-issues').getByTestId('suggestion').getByRole('link', { name: /Lab rule/ }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Lab rule: charge sensor nodes to full before a soak test');
  await expect(page.getByTestId('kb-article-facts')).toContainText('Local article, replaces the shipped one');
  await screenshot(page, 'kb-03-article-from-suggestion');

  expect(problems.messages).toEqual([]);
});
