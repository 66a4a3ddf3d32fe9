// Station components rendered to markup with a real station store: what an operator using
// only a keyboard or a screen reader gets (why Unload is disabled said in the page, since a
// disabled button cannot be focused to show a tooltip; which unit or recipe each of many
// alike buttons acts on; a verdict in words, not by colour alone).
import { createElement, type ReactElement } from 'react';
import { createStore } from 'zustand/vanilla';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { RendererProvider, type RendererContextValue } from '../../src-renderer/app/renderer-context';
import { StationRecipeBand } from '../../src-renderer/components/StationRecipeBand';
import { StationRecipePicker } from '../../src-renderer/components/StationRecipePicker';
import { StationTile } from '../../src-renderer/components/StationTile';
import type { RendererStores } from '../../src-renderer/stores/renderer-stores';
import { createStationStore, type StationStoreState } from '../../src-renderer/stores/station-store';
import { FakeRendererApi } from '../helpers/fake-renderer-api';
import { stationRecipe, stationState, stationUnit } from '../helpers/renderer-station-fixtures';

async function render(units: ReturnType<typeof stationUnit>[], element: ReactElement): Promise<string> {
  const api = new FakeRendererApi();
  api.handle('station.state', () => stationState({ units }));
  api.handle('station.recipes', () => [
    { file: '/recipes/quick.yaml', source: 'shipped', id: 'quick', name: 'Quick flash', revision: '1', profileId: 'fieldbench-sensor-node', problem: null },
    { file: '/data/recipes/broken.yaml', source: 'local', id: null, name: null, revision: null, profileId: null, problem: 'line 3: not YAML' },
  ]);
  const live = createStationStore(api);
  await live.getState().refresh();
  await live.getState().loadRecipes();
  live.stop();
  // Markup rendered on the server reads a store's initial state: start one from the live store's.
  const station = createStore<StationStoreState>()(() => live.getState());
  const value = { stores: { station } as unknown as RendererStores } as RendererContextValue;
  return renderToStaticMarkup(createElement(RendererProvider, { value, children: element }));
}

const bandWith = (units: ReturnType<typeof stationUnit>[]) => render(units, createElement(StationRecipeBand, { recipe: stationRecipe() }));
const tile = (unit: ReturnType<typeof stationUnit>) => render([unit], createElement(StationTile, { unit, canStart: true }));

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

describe('station tile', () => {
  it('names the unit each Start and Abort acts on, as eight tiles show eight of each', async () => {
    expect(await tile(stationUnit('a'))).toContain('aria-label="Start: Unit SN-a"');
    expect(await tile(stationUnit('b', { state: 'failed' }))).toContain('aria-label="Start again: Unit SN-b"');
    expect(await tile(stationUnit('c', { state: 'flashing', startedAt: '2026-03-04T10:00:00.000Z' }))).toContain('aria-label="Abort Unit SN-c"');
    expect(await tile(stationUnit('d', { state: 'queued', serialNumber: null, label: '/dev/pts/9' }))).toContain('aria-label="Abort Unit on /dev/pts/9"');
  });

  it('gives a verdict in words, not by its colour alone', async () => {
    const failed = await tile(stationUnit('a', { state: 'failed', failureStep: 'Self-test', reason: 'sensor failed' }));
    expect(failed).toContain('station-tone-fail');
    expect(failed).toMatch(/data-testid="station-verdict"[^>]*>FAIL</);
    expect(failed).toContain('Self-test: sensor failed');
  });
});

describe('station recipe picker', () => {
  it('names the recipe each Load button loads', async () => {
    const html = await render([], createElement(StationRecipePicker));
    expect(html).toContain('aria-label="Load Quick flash"');
    expect(html).toContain('aria-label="Load /data/recipes/broken.yaml"');
  });
});
