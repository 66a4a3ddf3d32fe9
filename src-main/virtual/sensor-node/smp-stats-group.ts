// SMP statistics on the virtual node: the list of groups and each group's counters, as
// Zephyr's stat_mgmt reports them. Two groups, both live: the SMP server's own traffic and
// the flash driver's work, so a client can watch an upload move the numbers.
import { MgmtErr, SmpGroup, StatsCommand } from '../../protocols/smp/smp-groups';
import { type SmpAnswer, type SmpGroupHandler, type SmpRequest, field, groupError, mgmtError, notSupported, ok } from './smp-server';

/** STAT_MGMT_ERR_INVALID_GROUP. */
const INVALID_GROUP = 2;

export type StatsSource = Record<string, () => Record<string, number>>;

export class SmpStatsGroup implements SmpGroupHandler {
  readonly group = SmpGroup.STATS;

  constructor(private readonly sources: StatsSource) {}

  toMgmtErr(): number {
    return MgmtErr.ENOENT;
  }

  async handle(request: SmpRequest): Promise<SmpAnswer> {
    if (request.write) return notSupported();
    if (request.command === StatsCommand.LIST) return ok({ stat_list: Object.keys(this.sources) });
    if (request.command !== StatsCommand.READ) return notSupported();
    const name = field.text(request.body, 'name');
    if (name === undefined) return mgmtError(MgmtErr.EINVAL);
    const source = this.sources[name];
    if (!source) return groupError(INVALID_GROUP, `no statistics group '${name}'`);
    return ok({ name, fields: source() });
  }
}
