// A contract error shown as information about the device rather than as a failure of the
// app: a device that does not speak SMP, or one busy with an update, is a fact to read.
import type { ApiErrorShape } from '../../src-main/api/errors';
import { ErrorDetails } from './ErrorDetails';

export function InfoNote({ title, error, testId }: { title: string; error: ApiErrorShape; testId?: string }) {
  return (
    <div className="info-note" role="status" data-testid={testId}>
      <h3>{title}</h3>
      <ErrorDetails error={error} />
    </div>
  );
}
