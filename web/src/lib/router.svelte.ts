/**
 * Hash routing: `#/path?key=value`. The whole app state worth sharing (which screen, which run,
 * which filter) lives in the hash, so links, back/forward and reloads all land in the same place.
 */
export interface Location { path: string; segments: string[]; query: URLSearchParams }

function parse(hash: string): Location {
  const raw = hash.replace(/^#/, '') || '/';
  const [path = '/', search = ''] = raw.split('?', 2);
  return { path, segments: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search) };
}

export class Router {
  current = $state.raw<Location>(parse(typeof location === 'undefined' ? '' : location.hash));

  constructor() {
    // The router owns the one hashchange listener for the app's lifetime.
    window.addEventListener('hashchange', () => { this.current = parse(location.hash); });
  }

  /** Goes to a path with query params (undefined/empty values are dropped). */
  go(path: string, query: Record<string, string | number | boolean | null | undefined> = {}, replace = false) {
    const href = link(path, query);
    if (replace) { history.replaceState(null, '', href); this.current = parse(location.hash); }
    else location.hash = href.slice(1);
  }

  /** Same path, some query params changed (history entry replaced: filters are not navigation). */
  patch(changes: Record<string, string | number | boolean | null | undefined>) {
    const q: Record<string, string> = Object.fromEntries(this.current.query);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === null || v === '' || v === false) delete q[k]; else q[k] = String(v);
    }
    this.go(this.current.path, q, true);
  }

  param(name: string): string | null { return this.current.query.get(name); }
  num(name: string): number | null {
    const v = this.current.query.get(name);
    return v !== null && /^\d+$/.test(v) ? Number(v) : null;
  }
}

/** An href for a route: `link('/c/1/review', { item: 5 })` → `#/c/1/review?item=5`. */
export function link(path: string, query: Record<string, string | number | boolean | null | undefined> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '' && v !== false) p.set(k, String(v));
  const s = p.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export const router = new Router();
