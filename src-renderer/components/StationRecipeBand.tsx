// The loaded recipe at the top of the station: what it flashes (the image's name, version
// and hash), onto which profile, with which test, what happens to units that pass or fail,
// how many run at once, what was checked when it loaded, and its warnings, always in view.
import { useState } from 'react';
import { useStore } from 'zustand';
import type { StationRecipe } from '../../src-main/api/station-schemas';
import { useStores } from '../app/renderer-context';
import { actionText, anyUnderWay, parallelismText, shortHash } from '../stores/station-selectors';
import { ErrorDetails } from './ErrorDetails';

export function StationRecipeBand({ recipe }: { recipe: StationRecipe }) {
  const { station } = useStores();
  const underWay = useStore(station, (s) => anyUnderWay(s.station?.units ?? []));
  const unloading = useStore(station, (s) => s.pending.unload ?? false);
  const unloadError = useStore(station, (s) => s.errors.unload ?? null);
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);

  const copyHash = async () => {
    try {
      await navigator.clipboard.writeText(recipe.image.sha256);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };

  return (
    <section className="panel station-recipe" aria-labelledby="station-recipe-name" data-testid="station-recipe">
      <div className="panel-heading">
        <h2 id="station-recipe-name">
          {recipe.name} <span className="station-revision">revision {recipe.revision}</span>
        </h2>
        <button
          type="button"
          onClick={() => void station.getState().unload()}
          disabled={underWay || unloading}
          data-testid="station-unload"
        >
          Unload recipe
        </button>
      </div>
      {/* Said in the page, not in a tooltip: a disabled button cannot be focused to show one. */}
      {underWay && (
        <p className="field-hint" data-testid="station-unload-blocked">
          Units are running: abort them or let them finish before unloading the recipe.
        </p>
      )}
      {recipe.description && <p className="muted">{recipe.description}</p>}
      <dl className="station-facts">
        <div>
          <dt>Profile</dt>
          <dd>
            {recipe.profileName} <code>{recipe.profileId}</code>
          </dd>
        </div>
        <div>
          <dt>Image</dt>
          <dd data-testid="station-image">
            <code>{recipe.image.fileName}</code>, version {recipe.image.version ?? 'not stated'}, SHA-256{' '}
            <code title={recipe.image.sha256} data-testid="station-image-hash">
              {shortHash(recipe.image.sha256)}
            </code>{' '}
            <button type="button" className="button-link" onClick={() => void copyHash()}>
              {copied === 'yes' ? 'Copied' : 'Copy full hash'}
            </button>
            {copied === 'failed' && <span className="field-hint"> Copying is not allowed here: {recipe.image.sha256}</span>}
          </dd>
        </div>
        <div>
          <dt>Procedure</dt>
          <dd>
            {recipe.procedure
              ? `${recipe.procedure.name}${recipe.procedure.operatorSteps > 0 ? ` (${recipe.procedure.operatorSteps} operator step${recipe.procedure.operatorSteps === 1 ? '' : 's'})` : ''}`
              : 'none: flash only'}
          </dd>
        </div>
        <div>
          <dt>On pass / on fail</dt>
          <dd>
            {actionText[recipe.onPass]} / {actionText[recipe.onFail]}
          </dd>
        </div>
        <div>
          <dt>At once</dt>
          <dd>{parallelismText(recipe.parallelism)}</dd>
        </div>
      </dl>
      {recipe.warnings.length > 0 && (
        <div className="inline-warning" role="note" data-testid="station-warnings">
          <h3>Warnings</h3>
          <ul>
            {recipe.warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </div>
      )}
      {recipe.checked.length > 0 && (
        <details className="station-checked">
          <summary>Checked when it loaded ({recipe.checked.length})</summary>
          <ul>
            {recipe.checked.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </details>
      )}
      {unloadError && (
        <div className="inline-error" role="alert">
          <h3>The recipe could not be unloaded</h3>
          <ErrorDetails error={unloadError} />
        </div>
      )}
    </section>
  );
}
