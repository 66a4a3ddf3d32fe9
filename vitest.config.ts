import { defineConfig } from 'vitest/config';

// Two projects so `npm test` can report the layers separately: unit tests touch no I/O
// beyond temp files; integration tests drive real serial ports, SQLite files and processes.
export default defineConfig({
  test: {
    // Bundles the capture worker, which runs as a file in a worker thread, for every project.
    globalSetup: ['test/setup/build-log-worker.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // Serial PTYs and child processes: keep files from fighting over two cores.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'bench',
          include: ['bench/**/*.bench.ts'],
          environment: 'node',
          testTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
