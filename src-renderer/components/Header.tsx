import { hrefFor, sectionOf, type Route } from '../router/routes';
import { ConnectionIndicator } from './ConnectionIndicator';

export function Header({ route }: { route: Route }) {
  const section = sectionOf(route);
  return (
    <header className="app-header">
      <span className="brand">Fieldbench</span>
      <nav aria-label="Main">
        <ul className="nav-list">
          <li>
            <a href={hrefFor({ name: 'devices' })} aria-current={section === 'devices' ? 'page' : undefined}>
              Devices
            </a>
          </li>
          <li>
            <a href={hrefFor({ name: 'cases' })} aria-current={section === 'cases' ? 'page' : undefined}>
              Cases
            </a>
          </li>
          <li>
            <a href={hrefFor({ name: 'knowledge' })} aria-current={section === 'knowledge' ? 'page' : undefined}>
              Knowledge
            </a>
          </li>
          <li>
            <a href={hrefFor({ name: 'station' })} aria-current={section === 'station' ? 'page' : undefined}>
              Station
            </a>
          </li>
        </ul>
      </nav>
      <ConnectionIndicator />
    </header>
  );
}
