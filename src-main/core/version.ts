// The version shown in the app and printed by the CLI. Kept in step with package.json by
// test/unit/version.test.ts, so a release bump cannot forget it.
export const FIELDBENCH_VERSION = '0.1.0';
