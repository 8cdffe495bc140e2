/**
 * Who may talk to the server: the allowed-hosts check (DNS rebinding), the Origin rule for
 * changes, the security headers, and the access token's cookie, redirect and log redaction —
 * all through the real app with forged requests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { tempWorkspace } from '../support/workspace.ts';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runMain, seed } from '../support/seed.ts';
import { serve } from '../../server/main.ts';
import { buildTestApp, TEST_PORT } from '../support/app.ts';
import type { AppOptions } from '../../server/app.ts';

let t: ReturnType<typeof tempWorkspace> | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  const served = app?.workspace;
  await app?.close();
  // serve() opens its own workspace
  if (served && served !== t?.ws) served.repos.db.close();
  app = undefined;
  t?.cleanup();
  t = undefined;
});

const HOST = `127.0.0.1:${TEST_PORT}`;
const SAME_ORIGIN = `http://${HOST}`;

/** The real app on a temp workspace with a small built web app (index.html + one asset). */
async function setup(opts: Partial<AppOptions> = {}) {
  t = tempWorkspace();
  const s = seed(t.ws, [{ id: 'a', verdict: 'pass' }, { id: 'b', verdict: 'fail' }]);
  const webRoot = join(t.dir, 'web');
  mkdirSync(join(webRoot, 'assets'), { recursive: true });
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Concur</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(webRoot, 'assets', 'app.js'), 'console.log("app")');
  app = await buildTestApp({ workspace: t.ws, webRoot, ...opts });
  return { ws: t.ws, app, ...s };
}

const criteriaCount = (ws: NonNullable<typeof t>['ws']) => (ws.repos.db.prepare('SELECT count(*) AS n FROM criteria').get() as { n: number }).n;

describe('allowed hosts: a request addressed to any other name is answered 421', () => {
  const FORGED = [`evil.example:${TEST_PORT}`, `localhost.evil.com:${TEST_PORT}`, `attacker.example:${TEST_PORT}`, `127.0.0.1.nip.io:${TEST_PORT}`, 'evil.example', `localhost:${TEST_PORT + 1}`, '127.0.0.1'];
  const ROUTES = [['GET', '/api/health'], ['GET', '/api/datasets'], ['GET', '/'], ['GET', '/review'], ['GET', '/assets/app.js'], ['GET', '/api/runs/1/events'], ['POST', '/api/runs/1/cancel'], ['GET', '/api/no-such-route']] as const;

  it.each(FORGED)('Host %s: API, pages, assets and SSE alike', async (host) => {
    const { app: a } = await setup();
    for (const [method, url] of ROUTES) {
      const r = await a.inject({ method, url, headers: { host }, ...(method === 'POST' ? { payload: {} } : {}) });
      expect(r.statusCode, `${method} ${url}`).toBe(421);
      expect(r.json().error).toMatch(/not served as/);
    }
  });

  it('DNS rebinding: a page on attacker.example re-resolved to 127.0.0.1 reads and changes nothing', async () => {
    const { app: a, ws } = await setup();
    const host = `attacker.example:${TEST_PORT}`;
    const before = criteriaCount(ws);
    const read = await a.inject({ url: '/api/config', headers: { host } });
    expect(read.statusCode).toBe(421);
    expect(read.body).not.toMatch(/keyPresent|apiKeyEnv/);
    const write = await a.inject({ method: 'POST', url: '/api/datasets/1/criteria', headers: { host, origin: `http://${host}` }, payload: { name: 'planted' } });
    expect(write.statusCode).toBe(421);
    expect(criteriaCount(ws)).toBe(before);
  });

  it.each([HOST, `localhost:${TEST_PORT}`, `[::1]:${TEST_PORT}`, `LOCALHOST:${TEST_PORT}`])('Host %s is served', async (host) => {
    const { app: a } = await setup();
    expect((await a.inject({ url: '/api/health', headers: { host } })).statusCode).toBe(200);
    const page = await a.inject({ url: '/', headers: { host } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<title>Concur/);
    expect((await a.inject({ url: '/assets/app.js', headers: { host } })).statusCode).toBe(200);
  });

  it('a name given with --allowed-host is served (on any port unless one is given); others are not', async () => {
    const { app: a } = await setup({ allowedHosts: ['concur.lab.internal', 'judge.example.org:8443'] });
    for (const host of ['concur.lab.internal', `concur.lab.internal:${TEST_PORT}`, 'Concur.Lab.Internal:443', 'judge.example.org:8443']) {
      expect((await a.inject({ url: '/api/health', headers: { host } })).statusCode, host).toBe(200);
    }
    for (const host of ['other.lab.internal', 'judge.example.org', 'judge.example.org:8444', 'lab.internal']) {
      expect((await a.inject({ url: '/api/health', headers: { host } })).statusCode, host).toBe(421);
    }
  });

  it('bound to 0.0.0.0: the IP literals of this machine are served, other IPs and names are not', async () => {
    const { app: a } = await setup({ host: '0.0.0.0', token: 'secret' });
    const auth = { authorization: 'Bearer secret' };
    const own = Object.values(networkInterfaces()).flat().filter((i) => i && i.family === 'IPv4').map((i) => i!.address);
    expect(own).toContain('127.0.0.1');
    for (const ip of own) {
      expect((await a.inject({ url: '/api/health', headers: { ...auth, host: `${ip}:${TEST_PORT}` } })).statusCode, ip).toBe(200);
    }
    for (const host of [`203.0.113.7:${TEST_PORT}`, `rebind.example:${TEST_PORT}`]) {
      expect((await a.inject({ url: '/api/health', headers: { ...auth, host } })).statusCode, host).toBe(421);
    }
  });

  it('bound to one address: exactly that IP literal (and loopback) is served', async () => {
    const { app: a } = await setup({ host: '192.0.2.10', token: 'secret' });
    const auth = { authorization: 'Bearer secret' };
    expect((await a.inject({ url: '/api/health', headers: { ...auth, host: `192.0.2.10:${TEST_PORT}` } })).statusCode).toBe(200);
    expect((await a.inject({ url: '/api/health', headers: { ...auth, host: `192.0.2.11:${TEST_PORT}` } })).statusCode).toBe(421);
  });

  it('X-Forwarded-Host is ignored unless --trust-proxy', async () => {
    const { app: a } = await setup({ allowedHosts: ['concur.example.com'] });
    // a forged Host cannot be rescued by a forwarded header
    expect((await a.inject({ url: '/api/health', headers: { host: 'evil.example', 'x-forwarded-host': HOST } })).statusCode).toBe(421);
    // and a forwarded header does not change the Origin a change must come from
    const change = await a.inject({
      method: 'POST', url: '/api/datasets/1/criteria', payload: { name: 'c2' },
      headers: { 'x-forwarded-host': 'concur.example.com', 'x-forwarded-proto': 'https', origin: 'https://concur.example.com' },
    });
    expect(change.statusCode).toBe(403);
  });

  it('with --trust-proxy the forwarded host and scheme decide, and must be allowed', async () => {
    const { app: a, ws } = await setup({ allowedHosts: ['concur.example.com'], trustProxy: true });
    const proxied = { 'x-forwarded-host': 'concur.example.com', 'x-forwarded-proto': 'https' };
    expect((await a.inject({ url: '/api/health', headers: proxied })).statusCode).toBe(200);
    expect((await a.inject({ url: '/api/health', headers: { 'x-forwarded-host': 'evil.example' } })).statusCode).toBe(421);
    const before = criteriaCount(ws);
    const http = await a.inject({ method: 'POST', url: '/api/datasets/1/criteria', payload: { name: 'c2' }, headers: { ...proxied, origin: 'http://concur.example.com' } });
    expect(http.statusCode).toBe(403);
    const https = await a.inject({ method: 'POST', url: '/api/datasets/1/criteria', payload: { name: 'c2' }, headers: { ...proxied, origin: 'https://concur.example.com' } });
    expect(https.statusCode).toBe(201);
    expect(criteriaCount(ws)).toBe(before + 1);
  });
});

describe('Origin rule: a change from a browser must come from the same origin', () => {
  const newCriterion = { method: 'POST' as const, url: '/api/datasets/1/criteria', payload: { name: 'from-elsewhere' } };

  it.each(['http://evil.example', `http://127.0.0.1:${TEST_PORT + 1}`, `https://${HOST}`, `http://localhost:${TEST_PORT}`, 'null'])('Origin %s → 403, nothing written', async (origin) => {
    const { app: a, ws } = await setup();
    const before = criteriaCount(ws);
    const r = await a.inject({ ...newCriterion, headers: { origin } });
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toMatch(/Origin/);
    expect(criteriaCount(ws)).toBe(before);
  });

  it('DELETE, PUT and PATCH follow the same rule', async () => {
    const { app: a } = await setup();
    for (const method of ['DELETE', 'PUT', 'PATCH'] as const) {
      const r = await a.inject({ method, url: '/api/criteria/1/root-causes', payload: { itemId: 1, tag: 'x' }, headers: { origin: 'http://evil.example' } });
      expect(r.statusCode, method).toBe(403);
    }
  });

  it('a same-origin change is served', async () => {
    const { app: a, ws } = await setup();
    const before = criteriaCount(ws);
    const r = await a.inject({ ...newCriterion, headers: { origin: SAME_ORIGIN, 'sec-fetch-site': 'same-origin' } });
    expect(r.statusCode).toBe(201);
    expect(criteriaCount(ws)).toBe(before + 1);
  });

  it('without Origin, Sec-Fetch-Site cross-site or same-site → 403', async () => {
    const { app: a, ws } = await setup();
    const before = criteriaCount(ws);
    for (const site of ['cross-site', 'same-site']) {
      expect((await a.inject({ ...newCriterion, headers: { 'sec-fetch-site': site } })).statusCode, site).toBe(403);
    }
    expect(criteriaCount(ws)).toBe(before);
  });

  it('without Origin and Sec-Fetch-Site (curl, scripts) a change is served on loopback', async () => {
    const { app: a } = await setup();
    expect((await a.inject(newCriterion)).statusCode).toBe(201);
  });

  it('a request authenticated by Authorization: Bearer needs no Origin', async () => {
    const { app: a, ws } = await setup({ token: 'secret' });
    const before = criteriaCount(ws);
    const r = await a.inject({ ...newCriterion, headers: { authorization: 'Bearer secret' } });
    expect(r.statusCode).toBe(201);
    expect(criteriaCount(ws)).toBe(before + 1);
  });

  it.each(['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'a %s body is refused on every route, even without Origin (the cross-site no-cors cancel)', async (type) => {
      const { app: a, ws } = await setup();
      const version = ws.addVersion(ws.criterionById(1), { template: 'Judge {{output}}', model: 'm' });
      const run = ws.repos.runs.create({
        criterionId: 1, datasetId: 1, versionId: version.id, kind: 'judged', name: 'queued', split: 'all', scope: 'labelled',
        samples: 1, variant: {}, concurrency: 1, status: 'queued', itemIds: [1],
      });
      for (const url of [`/api/runs/${run.id}/cancel`, '/api/datasets/1/criteria', '/api/nowhere']) {
        const r = await a.inject({ method: 'POST', url, headers: { 'content-type': type }, payload: type.startsWith('multipart') ? '--x--' : 'x' });
        expect(r.statusCode, url).toBe(415);
        expect(r.json().error).toMatch(/application\/json/);
      }
      expect(ws.run(run.id).status).toBe('queued');
      // the same cancel sent as JSON (what the web app sends) is served
      expect((await a.inject({ method: 'POST', url: `/api/runs/${run.id}/cancel`, payload: {} })).statusCode).toBe(200);
      expect(ws.run(run.id).status).toBe('cancelled');
    });

  it('reads carry no CORS grant for other origins', async () => {
    const { app: a } = await setup();
    const r = await a.inject({ url: '/api/datasets', headers: { origin: 'http://evil.example' } });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('security headers', () => {
  it.each(['/', '/api/health', '/assets/app.js'])('%s: no framing, no referrer, nosniff, a CSP', async (url) => {
    const { app: a } = await setup();
    const r = await a.inject({ url });
    expect(r.statusCode).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('access token', () => {
  it('a malformed cookie is a 401, not a 500', async () => {
    const { app: a } = await setup({ token: 'secret' });
    for (const cookie of ['concur_token=%E0%A4%A', 'concur_token=%', '=;;concur_token', 'concur_token="unterminated']) {
      const r = await a.inject({ url: '/api/health', headers: { cookie } });
      expect(r.statusCode, cookie).toBe(401);
    }
  });

  it('the cookie alone authenticates', async () => {
    const { app: a } = await setup({ token: 'se cret;' });
    expect((await a.inject({ url: '/api/health', headers: { cookie: 'other=1; concur_token=se%20cret%3B' } })).statusCode).toBe(200);
  });

  it('a page opened with ?token= sets the cookie and redirects to the same URL without the token', async () => {
    const { app: a } = await setup({ token: 'secret' });
    const r = await a.inject({ url: '/review?criterion=1&token=secret&item=4' });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/review?criterion=1&item=4');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(/^concur_token=secret;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const root = await a.inject({ url: '/?token=secret' });
    expect(root.statusCode).toBe(303);
    expect(root.headers.location).toBe('/');
    const next = await a.inject({ url: '/review?criterion=1&item=4', headers: { cookie: cookie.split(';')[0]! } });
    expect(next.statusCode).toBe(200);
    expect((await a.inject({ url: '/?token=wrong' })).statusCode).toBe(401);
  });

  it('behind a trusted HTTPS proxy the cookie is Secure', async () => {
    const { app: a } = await setup({ token: 'secret', allowedHosts: ['concur.example.com'], trustProxy: true });
    const proxied = { 'x-forwarded-host': 'concur.example.com', 'x-forwarded-proto': 'https' };
    expect(String((await a.inject({ url: '/?token=secret', headers: proxied })).headers['set-cookie'])).toMatch(/; Secure/);
    expect(String((await a.inject({ url: '/?token=secret' })).headers['set-cookie'])).not.toMatch(/Secure/);
  });

  it('an API call with ?token= is answered (and sets the cookie) without a redirect', async () => {
    const { app: a } = await setup({ token: 'secret' });
    const r = await a.inject({ url: '/api/health?token=secret' });
    expect(r.statusCode).toBe(200);
    expect(String(r.headers['set-cookie'])).toMatch(/^concur_token=secret;.*HttpOnly/);
  });

  it('no log line contains the token', async () => {
    const lines: string[] = [];
    const { app: a } = await setup({ token: 'tok-7d1f9e', logger: { stream: { write: (s: string) => { lines.push(s); } } } });
    await a.inject({ url: '/api/health?token=tok-7d1f9e' });
    await a.inject({ url: '/review?token=tok-7d1f9e&x=1' });
    await a.inject({ url: '/api/nowhere?token=tok-7d1f9e' });
    await a.inject({ url: '/api/health?a=1&token=tok-7d1f9e', headers: { host: 'evil.example' } });
    await a.inject({ url: '/api/datasets', headers: { authorization: 'Bearer tok-7d1f9e', cookie: 'concur_token=tok-7d1f9e' } });
    const log = lines.join('');
    expect(log).toMatch(/token=\[redacted\]/);
    expect(log).toMatch(/"url":"\/api\/health\?a=1&token=\[redacted\]"/);
    expect(log).not.toMatch(/tok-7d1f9e/);
  });
});

/** A GET over a real socket with a chosen Host header (fetch() does not let a caller set Host). */
function getWithHost(port: number, path: string, host: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { ...headers, host } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end();
  });
}

describe('serve: --allowed-host, CONCUR_ALLOWED_HOSTS and --trust-proxy', () => {
  it('answers its loopback address and the configured names over a real socket, and 421 to others', async () => {
    t = tempWorkspace();
    const saved = process.env.CONCUR_ALLOWED_HOSTS;
    process.env.CONCUR_ALLOWED_HOSTS = 'env-name.test, pinned.test:8080';
    try {
      app = await serve({ db: join(t.dir, 'served.sqlite'), port: 0, host: '127.0.0.1', samples: false, allowedHosts: ['flag-name.test'] });
    } finally {
      if (saved === undefined) delete process.env.CONCUR_ALLOWED_HOSTS; else process.env.CONCUR_ALLOWED_HOSTS = saved;
    }
    const { port } = app.server.address() as AddressInfo;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'flag-name.test', 'env-name.test:443', 'pinned.test:8080']) {
      expect(await getWithHost(port, '/api/health', host), host).toBe(200);
    }
    for (const host of [`rebound.example:${port}`, 'pinned.test:8081', `127.0.0.1:${port + 1}`]) {
      expect(await getWithHost(port, '/api/health', host), host).toBe(421);
    }
    // X-Forwarded-Host is not trusted without --trust-proxy
    expect(await getWithHost(port, '/api/health', 'rebound.example', { 'x-forwarded-host': 'flag-name.test' })).toBe(421);
  });

  it('with --trust-proxy, X-Forwarded-Host decides', async () => {
    t = tempWorkspace();
    app = await serve({ db: join(t.dir, 'proxied.sqlite'), port: 0, host: '127.0.0.1', samples: false, allowedHosts: ['concur.example.com'], trustProxy: true });
    const { port } = app.server.address() as AddressInfo;
    expect(await getWithHost(port, '/api/health', `127.0.0.1:${port}`, { 'x-forwarded-host': 'concur.example.com' })).toBe(200);
    expect(await getWithHost(port, '/api/health', `127.0.0.1:${port}`, { 'x-forwarded-host': 'evil.example' })).toBe(421);
  });

  it('a malformed --allowed-host or CONCUR_ALLOWED_HOSTS is a usage error naming it', async () => {
    const flag = await runMain(['serve', '--allowed-host', 'bad/name', '--db', '/nonexistent/never.sqlite']);
    expect(flag.error?.message).toMatch(/--allowed-host: "bad\/name" is not a host name/);
    const saved = process.env.CONCUR_ALLOWED_HOSTS;
    process.env.CONCUR_ALLOWED_HOSTS = 'ok.test,http://x.test';
    try {
      const env = await runMain(['serve', '--db', '/nonexistent/never.sqlite']);
      expect(env.error?.message).toMatch(/CONCUR_ALLOWED_HOSTS: "http:\/\/x.test" is not a host name/);
    } finally {
      if (saved === undefined) delete process.env.CONCUR_ALLOWED_HOSTS; else process.env.CONCUR_ALLOWED_HOSTS = saved;
    }
  });
});
