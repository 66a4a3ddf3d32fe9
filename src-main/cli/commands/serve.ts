// `fieldbench serve`: the app in a browser on this machine, for bench stations with no display.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FieldbenchError } from '../../api/errors';
import { serve } from '../../server/serve';
import { openCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson } from '../output';
import { rendererDir } from '../paths';

export async function serveCommand(session: CoreSessionOptions, port: number, signal: AbortSignal): Promise<number> {
  const staticDir = rendererDir();
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new FieldbenchError({
      code: 'unavailable',
      message: `the app is not built (no ${join(staticDir, 'index.html')})`,
      step: 'serve',
      hint: 'Run `npm run build` first.',
    });
  }
  const core = await openCore({ ...session, watch: true });
  let server;
  try {
    server = await serve({ core, staticDir, port });
  } catch (error) {
    await core.close();
    throw error;
  }
  // One JSON line for scripts and tests; a sentence for the person at the terminal.
  printJson(session.io, { url: server.url, port: server.port, dataDir: session.dataDir });
  session.io.err(`Fieldbench is serving on 127.0.0.1:${server.port}. Open this URL in a browser on this machine:\n  ${server.url}\nPress Ctrl+C to stop.`);
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await server.close();
  await core.close();
  return EXIT_OK;
}
