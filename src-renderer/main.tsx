// Entry point: pick the door (Electron bridge or WebSocket), make the stores, render.
// First, before any module parses with zod: see zod-without-eval.
import './api/zod-without-eval';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectApi } from './api/connect-api';
import { App } from './app/App';
import { RendererProvider } from './app/renderer-context';
import { createRendererStores } from './stores/renderer-stores';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html has no #root element');
const root = createRoot(container);

try {
  const connected = connectApi();
  const stores = createRendererStores(connected.api, connected.connection);
  const value = connected.reconnectNow
    ? { connection: connected.connection, reconnectNow: connected.reconnectNow, stores }
    : { connection: connected.connection, stores };
  root.render(
    <StrictMode>
      <RendererProvider value={value}>
        <App />
      </RendererProvider>
    </StrictMode>,
  );
} catch (error) {
  root.render(
    <main className="app-main">
      <h1>Fieldbench cannot start</h1>
      <p role="alert">{error instanceof Error ? error.message : String(error)}</p>
    </main>,
  );
}
