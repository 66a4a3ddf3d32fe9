// Station components rendered to markup with a real station store: what the operator reads
// without hovering or pointing (a disabled button cannot be focused to show a tooltip).
import { createElement } from 'react';
import { createStore } from 'zustand/vanilla';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { RendererProvider, type RendererContextValue } from '../../src-renderer/app/renderer-context';
import { StationRecipeBand } from '../../src-renderer/components/StationRecipeBand';
import type { RendererStores } from '../../src-renderer/stores/renderer-stores';
import { createStationStore, type StationStoreState } from '../../src-renderer/stores/station-store';
import { FakeRendererApi } from '../helpers/fake-renderer-api';
import { stationRecipe, stationState, stationUnit } from '../helpers/renderer-station-fixtures';

async function bandWith(units: ReturnType<typeof stationUnit>[]): Promise<string> {
  const api = new FakeRendererApi();
  api.handle('station.state', () => stationState({ units }));
  const live = createStationStore(api);
  await live.getState().refresh();
  live.stop();
  // Markup rendered on the server reads a store's initial state: start one from the live store's.
  const station = createStore<StationStoreState>()(() => live.getState());
  const value = { stores: { station } as unknown as RendererStores } as RendererContextValue;
  return renderToStaticMarkup(createElement(RendererProvider, { value, children: createElement(StationRecipeBand, { recipe: stationRecipe() }) }));
}

describe('station recipe band', () => {
  it('says in the page why the recipe cannot be unloaded while units run', async () => {
    const running = await bandWith([stationUnit('a', { state: 'flashing' }), stationUnit('b')]);
    expect(running).toMatch(/data-testid="station-unload"[^>]*disabled|disabled=""[^>]*data-testid="station-unload"/);
    expect(running).toContain('data-testid="station-unload-blocked"');
    expect(running).toContain('abort them or let them finish before unloading the recipe');

    const idle = await bandWith([stationUnit('a', { state: 'passed' })]);
    expect(idle).not.toContain('station-unload-blocked');
  });
});
