// The bench station: load a recipe, say who operates, and watch a tile per unit go from
// waiting through flashing and testing to a verdict readable from across the bench; try the
// recipe on virtual units; search the production record and export it.
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { useStores } from '../app/renderer-context';
import { ErrorDetails } from '../components/ErrorDetails';
import { PageHeading } from '../components/PageHeading';
import { StationControls } from '../components/StationControls';
import { StationRecipeBand } from '../components/StationRecipeBand';
import { StationRecipePicker } from '../components/StationRecipePicker';
import { StationRecord } from '../components/StationRecord';
import { StationTile } from '../components/StationTile';
import { StationVirtualTray } from '../components/StationVirtualTray';
import { operatorMissing } from '../stores/station-selectors';

export function StationView() {
  const { station: store } = useStores();
  const station = useStore(store, (s) => s.station);
  const stateError = useStore(store, (s) => s.stateError);

  // The connection's open fetches it too; a page opened later asks for the newest word.
  useEffect(() => {
    void store.getState().refresh();
  }, [store]);

  const recipe = station?.recipe ?? null;
  const mayStart = station !== null && !operatorMissing(station);

  return (
    <>
      <PageHeading aside={station ? <span className="muted">Station {station.station}</span> : undefined}>Station</PageHeading>
      {stateError && (
        <div className="inline-error" role="alert" data-testid="station-state-error">
          <h2>The station could not be read</h2>
          <ErrorDetails error={stateError} />
        </div>
      )}
      {station === null && !stateError && <p className="muted">Reading the station…</p>}
      {station && !recipe && <StationRecipePicker />}
      {station && recipe && (
        <>
          <StationRecipeBand recipe={recipe} />
          <StationControls key={station.operator ?? ''} state={station} />
          <section aria-labelledby="station-units-heading">
            <h2 id="station-units-heading" className="visually-hidden">
              Units
            </h2>
            {station.units.length === 0 ? (
              <p className="station-empty" data-testid="station-no-units">
                No {recipe.profileName} connected. Plug units in, or attach virtual ones below.
              </p>
            ) : (
              <ul className="station-tiles" data-testid="station-tiles">
                {station.units.map((unit) => (
                  <StationTile key={unit.deviceId} unit={unit} canStart={mayStart} />
                ))}
              </ul>
            )}
          </section>
        </>
      )}
      {station && <StationVirtualTray />}
      <StationRecord />
    </>
  );
}
