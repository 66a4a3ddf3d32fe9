// Errors the person should see, for the alert region under the header. Each names what
// was being done, and the error's device, step and hint. Identical errors for the same
// action are shown once, so a retry loop cannot flood the screen.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ApiErrorShape } from '../../src-main/api/errors';
import { toApiRequestError } from '../api/api-request-error';

export interface Notice {
  id: number;
  /** What the person was doing ("Attach virtual device"). */
  action: string;
  error: ApiErrorShape;
}

export interface NoticesState {
  notices: Notice[];
  report(action: string, error: unknown): void;
  dismiss(id: number): void;
  /** Drop every notice with this code (connection errors once the connection is back). */
  dismissCode(code: ApiErrorShape['code']): void;
  clear(): void;
}

export type NoticesStore = StoreApi<NoticesState>;

/** Older notices go once there are more than this; the newest matter most. */
const MAX_NOTICES = 5;

export function createNoticesStore(): NoticesStore {
  let nextId = 1;
  return createStore<NoticesState>()((set) => ({
    notices: [],
    report(action, error) {
      const shape = toApiRequestError(error).toShape();
      set((state) => {
        const same = state.notices.find(
          (n) => n.action === action && n.error.code === shape.code && n.error.message === shape.message,
        );
        if (same) return state;
        return { notices: [...state.notices, { id: nextId++, action, error: shape }].slice(-MAX_NOTICES) };
      });
    },
    dismiss(id) {
      set((state) => ({ notices: state.notices.filter((n) => n.id !== id) }));
    },
    dismissCode(code) {
      set((state) => ({ notices: state.notices.filter((n) => n.error.code !== code) }));
    },
    clear() {
      set({ notices: [] });
    },
  }));
}
