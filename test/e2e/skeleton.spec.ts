// The renderer in Chromium against a real `fieldbench serve`: the whole first session,
// the access token guarding the door, and a page free of console errors and CSP violations.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { META_CSP } from '../../src-main/api/content-security-policy';
import { runBenchFlow } from './fixtures/bench-flow';
import { expect, screenshot, startServe, stopProcess, test } from './fixtures/fieldbench-serve';

test.describe('fieldbench serve in Chromium', () => {
  test('attach a virtual device, read diagnostics, keep a case note across a reload, resolve the case', async ({ page, fieldbench, problems }) => {
    await page.goto(fieldbench.url);
    // The token left the address bar for a cookie.
    expect(page.url()).not.toContain('token=');
    // The built page carries the one production policy, as the window does.
    expect(await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).toBe(META_CSP);

    await runBenchFlow(page, {
      reload: async (p) => {
        await p.reload();
        await expect(p.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');
      },
      screenshot,
    });

    expect(problems.messages).toEqual([]);
  });

  test('the server refuses the page and the socket without the token', async ({ request, fieldbench }) => {
    const noToken = await request.get(`${fieldbench.origin}/`, { maxRedirects: 0 });
    expect([401, 403]).toContain(noToken.status());
    expect(await noToken.text()).not.toContain('<div id="root">');

    const wrongToken = await request.get(`${fieldbench.origin}/?token=not-the-token`, { maxRedirects: 0 });
    expect([401, 403]).toContain(wrongToken.status());

    const asset = await request.get(`${fieldbench.origin}/index.html`, { maxRedirects: 0 });
    expect([401, 403]).toContain(asset.status());

    const upgrade = await new Promise<number | string>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${fieldbench.port}/api`, { origin: fieldbench.origin });
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 'no status'));
      socket.on('open', () => {
        socket.close();
        resolve('opened');
      });
      socket.on('error', (error) => resolve(error.message));
    });
    expect(upgrade).toBe(403);
  });

  test('the page sets no inline styles or scripts and reports no errors on every screen', async ({ page, fieldbench, problems }) => {
    await page.goto(fieldbench.url);
    await expect(page.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');
    for (const hash of ['#/devices', '#/cases', '#/devices/no-such-device', '#/cases/00000000-0000-4000-8000-000000000000', '#/nowhere']) {
      await page.evaluate((h) => (window.location.hash = h), hash);
      await expect(page.locator('h1')).toBeVisible();
    }
    // The case page for an unknown id shows the contract's error instead of a blank page.
    await page.evaluate(() => (window.location.hash = '#/cases/00000000-0000-4000-8000-000000000000'));
    await expect(page.getByRole('alert').filter({ hasText: 'could not be opened' })).toBeVisible();
    expect(await page.locator('[style]').count()).toBe(0);
    expect(await page.locator('body style, body script').count()).toBe(0);
    expect(problems.messages).toEqual([]);
  });

  test('when the server goes away, the header says so and a note typed meanwhile is kept and marked not saved', async ({ page }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fieldbench-e2e-'));
    const server = await startServe(dataDir);
    try {
      await page.goto(server.info.url);
      await expect(page.getByTestId('connection-state')).toHaveAttribute('data-status', 'open');
      // The UI opens cases from a device; a case without one, opened over the page's own
      // (cookie-authenticated) socket, keeps this test about the connection alone.
      const caseId = await page.evaluate(async () => {
        const socket = new WebSocket(`ws://${location.host}/api`);
        await new Promise((resolve) => (socket.onopen = resolve));
        socket.send(JSON.stringify({ id: 1, channel: 'cases.open', payload: { title: 'Bench check' } }));
        const id = await new Promise<string>((resolve) => {
          socket.onmessage = (event) => {
            const message = JSON.parse(String(event.data)) as { kind: string; envelope?: { value: { id: string } } };
            if (message.kind === 'response' && message.envelope) resolve(message.envelope.value.id);
          };
        });
        socket.close();
        return id;
      });
      await page.evaluate((id) => (window.location.hash = `#/cases/${id}`), caseId);
      await page.getByRole('button', { name: 'Add note' }).click();
      await page.keyboard.type('Saved before the drop.');
      await expect(page.getByTestId('note-status')).toHaveText('Saved');

      await stopProcess(server.child);
      await expect(page.getByTestId('connection-state')).toHaveAttribute('data-status', 'reconnecting');
      await expect(page.getByTestId('connection-state')).toContainText('Disconnected');
      await page.keyboard.type(' Typed while the server is gone.');
      await expect(page.getByTestId('note-status')).toHaveText(/^Not saved — .+, retrying$/);
      await expect(page.getByTestId('note-text')).toHaveValue('Saved before the drop. Typed while the server is gone.');
      await screenshot(page, '06-server-gone');
    } finally {
      await stopProcess(server.child);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
