// The contract's station.* requests, over the station. create-core builds the station from
// the registries, the firmware jobs, the procedure runner and the production record.
import type { Handlers } from '../../api/dispatch';
import { FieldbenchError } from '../../api/errors';

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

// Replaced by the station in the next change; until then every station request says so.
export function stationRequests(): StationHandlers {
  const notYet = async (): Promise<never> => {
    throw new FieldbenchError({ code: 'unavailable', message: 'the bench station is not available in this build', step: 'station' });
  };
  return {
    'station.recipes': notYet,
    'station.load': notYet,
    'station.unload': notYet,
    'station.state': notYet,
    'station.setOperator': notYet,
    'station.setAutoStart': notYet,
    'station.start': notYet,
    'station.abort': notYet,
    'station.runs': notYet,
    'station.export': notYet,
  };
}
