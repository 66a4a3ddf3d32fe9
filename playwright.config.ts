// End-to-end tests: the built renderer in Debian's Chromium against `fieldbench serve`,
// and the same flow in Electron where an Electron binary exists. Playwright never
// downloads a browser here; it drives /usr/bin/chromium.
import { defineConfig } from '@playwright/test';

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export default defineConfig({
  testDir: 'test/e2e',
  // Each spec starts its own server and device processes; one at a time keeps them from
  // fighting over the two cores and the pseudo-terminals.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-reports/e2e.json' }]],
  timeout: 90_000,
  expect: { timeout: 15_000 },
  forbidOnly: Boolean(process.env.CI),
  use: {
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium-serve',
      testIgnore: /electron\.spec\.ts$/,
      use: {
        browserName: 'chromium',
        launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs },
      },
    },
    {
      // Launches Electron itself through _electron; reports skipped where there is no binary.
      name: 'electron',
      testMatch: /electron\.spec\.ts$/,
    },
  ],
});
