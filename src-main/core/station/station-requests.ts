// The contract's station.* requests, over the station, the recipe folders and the
// production record.
import { resolve } from 'node:path';
import type { Handlers } from '../../api/dispatch';
import { FieldbenchError } from '../../api/errors';
import type { StationExportFormat } from '../../api/station-schemas';
import type { StationRunFilter, StationRuns } from '../../store/station-runs';
import { listRecipes, type RecipeFolders } from './recipe-catalog';
import type { Station } from './station';

type StationHandlers = Pick<
  Handlers,
  | 'station.recipes'
  | 'station.load'
  | 'station.unload'
  | 'station.state'
  | 'station.setOperator'
  | 'station.setAutoStart'
  | 'station.start'
  | 'station.abort'
  | 'station.runs'
  | 'station.export'
>;

export interface StationRequestDeps {
  station: Station;
  runs: StationRuns;
  recipeFolders: RecipeFolders;
  now(): Date;
  /** Largest export answered; MAX_EXPORT_BYTES unless a test asks for less. */
  maxExportBytes?: number;
}

/** Largest export answered in one piece: the file crosses the doors as base64 in one message. */
export const MAX_EXPORT_BYTES = 16 * 1024 * 1024;

const MEDIA_TYPES: Record<StationExportFormat, string> = { csv: 'text/csv', jsonl: 'application/x-ndjson' };

export function stationRequests(deps: StationRequestDeps): StationHandlers {
  const { station, runs } = deps;
  const maxExportBytes = deps.maxExportBytes ?? MAX_EXPORT_BYTES;
  return {
    'station.recipes': async () => listRecipes(deps.recipeFolders),
    // A relative path is the caller's (the CLI's working directory), resolved here once.
    'station.load': async ({ file }) => station.load(resolve(file)),
    'station.unload': async () => station.unload(),
    'station.state': async () => station.state(),
    'station.setOperator': async ({ operator }) => station.setOperator(operator),
    'station.setAutoStart': async ({ autoStart }) => station.setAutoStart(autoStart),
    'station.start': async ({ deviceId }) => station.start(deviceId),
    'station.abort': async ({ deviceId, reason }) => station.abort(deviceId, reason),
    'station.runs': async ({ serialNumber, limit, ...filter }) => {
      if (serialNumber !== undefined) return runs.history(serialNumber, limit);
      return runs.newest(filterOf(filter), limit);
    },
    'station.export': async ({ format, ...filter }) => {
      const lines = format === 'csv' ? runs.exportCsv(filterOf(filter)) : runs.exportJsonLines(filterOf(filter));
      const chunks: Buffer[] = [];
      let size = 0;
      let count = 0;
      for (const line of lines) {
        const chunk = Buffer.from(line, 'utf8');
        size += chunk.length;
        if (size > maxExportBytes) {
          throw new FieldbenchError({
            code: 'invalid-request',
            message: `the production log for this range is larger than ${mebibytes(maxExportBytes)}`,
            step: 'export production log',
            hint: 'Narrow the range (from, to) or pick one recipe, and export it in parts.',
          });
        }
        chunks.push(chunk);
        count += 1;
      }
      const runsCount = format === 'csv' ? Math.max(0, count - 1) : count;
      return {
        fileName: `production-${filter.recipeId ?? 'all'}-${stamp(deps.now())}.${format}`,
        mediaType: MEDIA_TYPES[format],
        runs: runsCount,
        contentBase64: Buffer.concat(chunks).toString('base64'),
      };
    },
  };
}

function filterOf(filter: { from?: string | undefined; to?: string | undefined; recipeId?: string | undefined }): StationRunFilter {
  return { from: filter.from, to: filter.to, recipeId: filter.recipeId };
}

function mebibytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MiB` : `${bytes} bytes`;
}

/** yyyymmdd-hhmmss in UTC, so names sort by time on any bench. */
function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
