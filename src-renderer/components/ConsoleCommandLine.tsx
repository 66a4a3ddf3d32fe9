// The console's command line: Enter sends (the console adds the line ending), Up and Down
// walk the commands sent before, Tab completes from the profile's commands and the history.
// When the port cannot take a command now (a firmware update owns it), it says why.
import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { completeCommand, completionCandidates, type CompletionCycle } from '../console/command-completion';
import { AT_DRAFT, historyDown, historyUp, type HistoryCursor } from '../console/command-history';

interface ConsoleCommandLineProps {
  commands: readonly string[];
  history: readonly string[];
  /** Why nothing can be sent now; null when it can. */
  refusal: string | null;
  disabled: boolean;
  onSend(text: string): Promise<boolean>;
}

export function ConsoleCommandLine({ commands, history, refusal, disabled, onSend }: ConsoleCommandLineProps) {
  const id = useId();
  const [text, setText] = useState('');
  const cursor = useRef<HistoryCursor>(AT_DRAFT);
  const cycle = useRef<CompletionCycle | null>(null);
  const candidates = useMemo(() => completionCandidates(commands, [...history].reverse()), [commands, history]);
  const blocked = disabled || refusal !== null;

  const onKeyDown = async (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Tab') {
      if (candidates.length === 0) return;
      event.preventDefault();
      const completed = completeCommand(text, candidates, cycle.current, event.shiftKey);
      cycle.current = completed.cycle;
      setText(completed.text);
      return;
    }
    if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      event.preventDefault();
      const step = event.key === 'ArrowUp' ? historyUp(history, cursor.current, text) : historyDown(history, cursor.current, text);
      cursor.current = step.cursor;
      cycle.current = null;
      setText(step.text);
      return;
    }
    if (event.key === 'Enter' && !blocked) {
      event.preventDefault();
      const sent = text;
      if (await onSend(sent)) {
        setText('');
        cursor.current = AT_DRAFT;
        cycle.current = null;
      }
    }
  };

  return (
    <div className="console-command">
      <label htmlFor={`${id}-command`}>Command</label>
      <div className="console-command-row">
        <span className="console-prompt" aria-hidden="true">
          ›
        </span>
        <input
          id={`${id}-command`}
          className="console-command-input"
          value={text}
          maxLength={4096}
          autoComplete="off"
          spellCheck={false}
          disabled={disabled}
          aria-describedby={`${id}-command-hint`}
          onChange={(event) => {
            setText(event.target.value);
            cycle.current = null;
          }}
          onKeyDown={(event) => void onKeyDown(event)}
          data-testid="console-command"
        />
        <button
          type="button"
          disabled={blocked}
          onClick={async () => {
            if (await onSend(text)) setText('');
          }}
          data-testid="console-send"
        >
          Send
        </button>
      </div>
      <p id={`${id}-command-hint`} className={refusal ? 'console-refusal' : 'field-hint'} data-testid={refusal ? 'console-send-refusal' : undefined}>
        {refusal ?? 'Enter sends · Up/Down: history · Tab: complete'}
      </p>
    </div>
  );
}
