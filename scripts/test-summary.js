// Prints one closing line for the whole `npm test`: every layer's counts added up, with
// skipped tests counted apart (a test that could not run here is never a pass).
// Reads the JSON reports the vitest and Playwright runs write into test-reports/.
import { existsSync, readFileSync } from 'node:fs';

const reports = {
  unit: 'test-reports/unit.json',
  integration: 'test-reports/integration.json',
  e2e: 'test-reports/e2e.json',
};

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
let missing = false;

for (const [layer, file] of Object.entries(reports)) {
  if (!existsSync(file)) {
    lines.push(`${layer}: no report (${file}), so this layer did not run`);
    missing = true;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const counts = report.stats
    ? // Playwright: expected = passed, unexpected = failed, flaky counts as failed here.
      { passed: report.stats.expected, failed: report.stats.unexpected + report.stats.flaky, skipped: report.stats.skipped }
    : // vitest
      {
        passed: report.numPassedTests,
        failed: report.numFailedTests,
        skipped: report.numPendingTests + report.numTodoTests,
      };
  for (const key of Object.keys(totals)) totals[key] += counts[key];
  lines.push(`${layer}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
}

for (const line of lines) console.log(line);
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || missing ? 1 : 0);
