// The renderer's places, as hash URLs (#/devices, #/devices/ID, #/devices/ID/console,
// #/captures/ID, #/cases, #/cases/ID, #/knowledge, #/knowledge/ID, #/station).
// A hash router needs no server support, which matters for file:// in the Electron window
// and for the static server of `fieldbench serve`.
export type Route =
  | { name: 'devices' }
  | { name: 'device'; deviceId: string }
  | { name: 'console'; deviceId: string }
  | { name: 'capture'; captureId: string }
  | { name: 'cases' }
  | { name: 'case'; caseId: string }
  | { name: 'knowledge' }
  | { name: 'article'; articleId: string }
  | { name: 'station' }
  | { name: 'not-found'; path: string };

function decode(segment: string): string | null {
  try {
    const value = decodeURIComponent(segment);
    return value.length > 0 ? value : null;
  } catch {
    return null;
  }
}

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (path === '' || path === 'devices') return { name: 'devices' };
  if (path === 'cases') return { name: 'cases' };
  if (path === 'knowledge') return { name: 'knowledge' };
  if (path === 'station') return { name: 'station' };
  const [section, id, ...rest] = path.split('/');
  if (section === 'devices' && id !== undefined && rest.length === 1 && rest[0] === 'console') {
    const decoded = decode(id);
    if (decoded !== null) return { name: 'console', deviceId: decoded };
  }
  if (rest.length === 0 && id !== undefined) {
    const decoded = decode(id);
    if (decoded !== null && section === 'devices') return { name: 'device', deviceId: decoded };
    if (decoded !== null && section === 'cases') return { name: 'case', caseId: decoded };
    if (decoded !== null && section === 'captures') return { name: 'capture', captureId: decoded };
    if (decoded !== null && section === 'knowledge') return { name: 'article', articleId: decoded };
  }
  return { name: 'not-found', path: `/${path}` };
}

export function hrefFor(route: Route): string {
  switch (route.name) {
    case 'devices':
      return '#/devices';
    case 'device':
      return `#/devices/${encodeURIComponent(route.deviceId)}`;
    case 'console':
      return `#/devices/${encodeURIComponent(route.deviceId)}/console`;
    case 'capture':
      return `#/captures/${encodeURIComponent(route.captureId)}`;
    case 'cases':
      return '#/cases';
    case 'case':
      return `#/cases/${encodeURIComponent(route.caseId)}`;
    case 'knowledge':
      return '#/knowledge';
    case 'article':
      return `#/knowledge/${encodeURIComponent(route.articleId)}`;
    case 'station':
      return '#/station';
    case 'not-found':
      return `#${route.path}`;
  }
}

/** Which top-level section a route belongs to, for the header's current link. */
export function sectionOf(route: Route): 'devices' | 'cases' | 'knowledge' | 'station' | null {
  if (route.name === 'devices' || route.name === 'device' || route.name === 'console' || route.name === 'capture') return 'devices';
  if (route.name === 'cases' || route.name === 'case') return 'cases';
  if (route.name === 'knowledge' || route.name === 'article') return 'knowledge';
  if (route.name === 'station') return 'station';
  return null;
}
