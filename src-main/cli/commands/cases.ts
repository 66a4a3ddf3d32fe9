// `fieldbench cases [--json] [--status open|resolved]`: the case history on this machine.
import type { CaseStatus } from '../../api/schemas';
import { call, withCore, type CoreSessionOptions } from '../core-session';
import { EXIT_OK, printJson, table } from '../output';

export async function casesCommand(session: CoreSessionOptions, json: boolean, status: CaseStatus | undefined): Promise<number> {
  return withCore(session, async (core) => {
    const cases = await call(core, 'cases.list', status ? { status } : {});
    if (json) {
      printJson(session.io, cases);
      return EXIT_OK;
    }
    if (cases.length === 0) {
      session.io.out('No cases yet.');
      return EXIT_OK;
    }
    session.io.out(
      table([
        ['UPDATED', 'STATUS', 'SERIAL', 'NOTES', 'TITLE'],
        ...cases.map((c) => [c.updatedAt.slice(0, 16).replace('T', ' '), c.status, c.deviceSerial ?? '—', String(c.noteCount), c.title]),
      ]),
    );
    return EXIT_OK;
  });
}
