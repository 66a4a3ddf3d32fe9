// Choosing the recipe a station runs: the recipe files Fieldbench found (shipped with it, or
// in the data folder's recipes/), each with the problem that keeps it from loading, or a path
// typed in. A refusal is shown in full beside the form: every problem with its line and column.
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { ErrorDetails } from './ErrorDetails';

export function StationRecipePicker() {
  const { station } = useStores();
  const recipes = useStore(station, (s) => s.recipes);
  const recipesError = useStore(station, (s) => s.recipesError);
  const loading = useStore(station, (s) => s.pending.load ?? false);
  const loadError = useStore(station, (s) => s.errors.load ?? null);
  const [path, setPath] = useState('');
  const pathId = useId();

  useEffect(() => {
    void station.getState().loadRecipes();
  }, [station]);

  const load = (file: string) => void station.getState().load(file);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (path.trim()) load(path);
  };

  return (
    <section className="panel" aria-labelledby="station-recipe-heading" data-testid="station-recipe-picker">
      <h2 id="station-recipe-heading">Load a recipe</h2>
      <p className="field-hint">A recipe names the device profile, the firmware image, the test procedure and what to do with units that pass or fail.</p>
      {recipesError && (
        <div className="inline-error" role="alert">
          <h3>The recipe list could not be read</h3>
          <ErrorDetails error={recipesError} />
        </div>
      )}
      {recipes && recipes.length === 0 && <p className="muted">No recipe files found. Type the path of one below.</p>}
      {recipes && recipes.length > 0 && (
        <div className="table-scroll">
          <table className="data-table" data-testid="station-recipes">
            <caption>Recipe files</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Revision</th>
                <th scope="col">Profile</th>
                <th scope="col">From</th>
                <th scope="col">
                  <span className="visually-hidden">Load</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {recipes.map((recipe) => (
                <tr key={recipe.file} data-testid="station-recipe-row" data-file={recipe.file}>
                  <th scope="row">
                    {recipe.name ?? <code>{recipe.file}</code>}
                    <div className="field-hint">
                      <code>{recipe.file}</code>
                    </div>
                    {recipe.problem && (
                      <p className="field-error" data-testid="station-recipe-problem">
                        Cannot be loaded: {recipe.problem}
                      </p>
                    )}
                  </th>
                  <td>{recipe.revision ?? '—'}</td>
                  <td>{recipe.profileId ?? '—'}</td>
                  <td>{recipe.source === 'shipped' ? 'shipped' : 'local'}</td>
                  <td>
                    <button type="button" className="button-primary" disabled={loading || recipe.problem !== null} onClick={() => load(recipe.file)} aria-label={`Load ${recipe.name ?? recipe.file}`} data-testid="station-recipe-load">
                      Load
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form className="inline-form" onSubmit={submit} aria-label="Load a recipe file by its path">
        <div className="field field-grow">
          <label htmlFor={pathId}>Recipe file path</label>
          <input id={pathId} type="text" value={path} onChange={(event) => setPath(event.target.value)} maxLength={4096} placeholder="/path/to/recipe.yaml" spellCheck={false} data-testid="station-recipe-path" />
        </div>
        <div className="form-actions">
          <button type="submit" className="button-primary" disabled={loading || !path.trim()} data-testid="station-recipe-path-load">
            {loading ? 'Checking…' : 'Load'}
          </button>
        </div>
      </form>
      {loadError && (
        <div className="inline-error" role="alert" data-testid="station-load-error">
          <h3>The recipe was refused</h3>
          <ErrorDetails error={loadError} />
        </div>
      )}
    </section>
  );
}
