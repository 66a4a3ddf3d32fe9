// A status word in a coloured pill. The word carries the meaning; the colour (and a
// shape mark for colour-blind readers) only helps it stand out.
export type BadgeTone = 'ok' | 'warn' | 'fail' | 'error' | 'busy' | 'neutral';

const marks: Record<BadgeTone, string> = {
  ok: '✓',
  warn: '!',
  fail: '✕',
  error: '✕',
  busy: '…',
  neutral: '○',
};

export function Badge({ tone, children, testId }: { tone: BadgeTone; children: string; testId?: string }) {
  return (
    <span className={`badge badge-${tone}`} data-testid={testId}>
      <span className="badge-mark" aria-hidden="true">
        {marks[tone]}
      </span>
      {children}
    </span>
  );
}
