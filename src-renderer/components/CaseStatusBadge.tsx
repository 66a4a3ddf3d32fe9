import type { CaseStatus } from '../../src-main/api/schemas';
import { caseStatusLabel } from '../stores/selectors';
import { Badge } from './Badge';

export function CaseStatusBadge({ status }: { status: CaseStatus }) {
  return (
    <Badge tone={status === 'open' ? 'neutral' : 'ok'} testId="case-status">
      {caseStatusLabel[status]}
    </Badge>
  );
}
