// Entry of the built CLI bundle (out/cli/fieldbench.js): wire signals, run, exit.
import { runCli } from './main';

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => stop.abort());
}

const code = await runCli(process.argv.slice(2), undefined, stop.signal);
// Long-running commands have closed their ports and servers; nothing should keep us alive.
process.exit(code);
