// Hands the API connection and the stores to the component tree. Components read state
// through these hooks and call store actions; none of them talks to the API directly.
import { createContext, useContext, type ReactNode } from 'react';
import type { RendererApi } from '../api/connect-api';
import type { RendererStores } from '../stores/renderer-stores';

export interface RendererContextValue {
  connection: RendererApi['connection'];
  reconnectNow?: () => void;
  stores: RendererStores;
}

const RendererContext = createContext<RendererContextValue | null>(null);

export function RendererProvider({ value, children }: { value: RendererContextValue; children: ReactNode }) {
  return <RendererContext.Provider value={value}>{children}</RendererContext.Provider>;
}

export function useRenderer(): RendererContextValue {
  const value = useContext(RendererContext);
  if (!value) throw new Error('useRenderer outside RendererProvider');
  return value;
}

export function useStores(): RendererStores {
  return useRenderer().stores;
}
