// Test procedures in the browser door: on the virtual sensor node's page, run bench bring-up
// to the end (automated checks, an instruction confirmed, a measurement entered), saved to
// the device's case, and see every step on the case timeline; then a run with a wait whose
// countdown shows, skipped with a reason.
import { openVirtualSensorNode } from './fixtures/attach-virtual';
import { expect, screenshot, test } from './fixtures/fieldbench-serve';

test.describe('test procedures in Chromium', () => {
  test.setTimeout(120_000);

  test('run bench bring-up from the device page to a pass and find every step on the case timeline', async ({ page, fieldbench, problems }) => {
    const deviceUrl = await openVirtualSensorNode(page, fieldbench.url, 'procedures');
    const title = 'Repaired node back on the bench';
    await page.getByLabel('Case title').fill(title);
    await page.getByRole('button', { name: 'Open case' }).click();
    await expect(page.getByTestId('case-title-heading')).toHaveText(title);
    const caseUrl = page.url();
    await page.goto(deviceUrl);

    const section = page.getByTestId('procedures');
    // Every procedure the profile declares, in its order.
    const declared = ['bench-bring-up', 'production-check', 'battery-brownout', 'firmware-self-test', 'bluetooth-link-check'];
    await expect(section.getByTestId('procedure-item')).toHaveCount(declared.length);
    for (const [index, id] of declared.entries()) await expect(section.getByTestId('procedure-item').nth(index)).toHaveAttribute('data-procedure', id);
    await section.getByLabel('Save the result to').selectOption({ label: `${title} (open)` });
    await section.getByLabel('Operator').fill('Ana');
    await screenshot(page, 'procedure-01-list');
    await section.getByTestId('procedure-item').filter({ hasText: 'Bench bring-up' }).getByTestId('procedure-start').click();

    // The automated checks run; the instruction waits for the operator.
    const current = section.getByTestId('procedure-current');
    await expect(current).toHaveAttribute('data-step', 'status-led');
    await expect(current).toHaveAttribute('data-awaiting', 'confirm');
    await expect(section.getByTestId('procedure-run-state')).toHaveText('waiting for you');
    const steps = section.getByTestId('procedure-step');
    await expect(steps.nth(1)).toHaveAttribute('data-status', 'passed');
    await expect(steps.nth(1)).toContainText(/V; limit 3\.3 to 4\.25 V/);
    await expect(current).toContainText('the green status LED blinks');
    // Fail needs a reason; without one it cannot be chosen.
    await expect(current.getByTestId('procedure-fail')).toBeDisabled();
    await screenshot(page, 'procedure-02-instruction');
    await current.getByTestId('procedure-pass').click();

    // The measurement: a value with its unit, judged against its limits.
    await expect(current).toHaveAttribute('data-step', 'idle-current');
    await expect(current.getByTestId('procedure-limit')).toHaveText('Passes when: 0.5 to 15 mA');
    await expect(current.getByTestId('procedure-record-value')).toBeDisabled();
    await current.getByLabel('Measured value (mA)').fill('3.2');
    await current.getByTestId('procedure-record-value').click();

    await expect(section.getByTestId('procedure-run')).toHaveAttribute('data-state', 'passed');
    await expect(section.getByTestId('procedure-run-state')).toHaveText('passed');
    await expect(section.locator('[data-testid="procedure-step"][data-status="passed"]')).toHaveCount(7);
    await expect(steps.nth(5)).toContainText('3.2 mA; limit 0.5 to 15 mA');
    await screenshot(page, 'procedure-03-passed');

    // The case keeps the result: every step, its reading and limit, who ran it.
    await page.goto(caseUrl);
    const entry = page.locator('[data-testid="timeline-entry"][data-kind="procedure"]');
    await expect(entry).toHaveCount(1);
    await expect(entry).toContainText('Procedure Bench bring-up passed: 7 passed (by Ana)');
    const details = entry.getByTestId('timeline-details').locator('li');
    await expect(details).toHaveCount(7);
    await expect(details.nth(5)).toHaveText('Pass · Idle current: 3.2 mA is within 0.5 to 15 mA');
    await screenshot(page, 'procedure-04-case-timeline');
    expect(problems.messages).toEqual([]);
  });

  test('a wait shows its countdown, and a step can be skipped with a reason', async ({ page, fieldbench, problems }) => {
    await openVirtualSensorNode(page, fieldbench.url, 'procedures');
    const section = page.getByTestId('procedures');
    await section.getByTestId('procedure-item').filter({ hasText: 'Firmware ensure + self-test' }).getByTestId('procedure-start').click();
    const current = section.getByTestId('procedure-current');
    // Firmware already 1.4.2, a reset over SMP, the version and the self-test: then the reset-button wait.
    await expect(current).toHaveAttribute('data-step', 'reset-button', { timeout: 60_000 });
    await expect(current.getByTestId('procedure-countdown')).toHaveText(/^\d+ s left$/);
    await expect(section.getByTestId('procedure-step').nth(1)).toContainText('it rebooted');
    await expect(current.getByTestId('procedure-skip')).toBeDisabled();
    await current.getByLabel('Reason (to fail or skip the step)').fill('no reset button on this enclosure');
    await screenshot(page, 'procedure-05-wait');
    await current.getByTestId('procedure-skip').click();
    await expect(section.getByTestId('procedure-run')).toHaveAttribute('data-state', 'passed');
    await expect(section.getByTestId('procedure-step').nth(4)).toHaveAttribute('data-status', 'skipped');
    await expect(section.getByTestId('procedure-step').nth(4)).toContainText('no reset button on this enclosure');
    expect(problems.messages).toEqual([]);
  });
});
