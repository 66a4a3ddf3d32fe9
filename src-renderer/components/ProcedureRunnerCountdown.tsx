// The time left before a waiting step's deadline, counted down once a second.
import { useEffect, useState } from 'react';

export function ProcedureRunnerCountdown({ deadlineAt }: { deadlineAt: string }) {
  const deadline = Date.parse(deadlineAt);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const seconds = Math.max(0, Math.ceil((deadline - now) / 1000));
  return (
    <p className="procedure-countdown" role="timer" aria-live="off" data-testid="procedure-countdown">
      {seconds > 0 ? `${seconds} s left` : 'The time is up'}
    </p>
  );
}
