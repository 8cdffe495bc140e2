/**
 * Who may talk to this server, decided before anything else runs.
 *
 * - Allowed hosts (the DNS-rebinding defence): a request is answered only when the host it was
 *   addressed to is one Concur is served as — the loopback names with its port, the IP literals
 *   it listens on (an IP literal cannot be re-pointed by DNS), or a configured name. Anything
 *   else gets 421 Misdirected Request, for the API, pages, assets and event streams alike.
 * - The Origin rule for changes: a mutating request from a browser must come from the origin it
 *   was addressed to; a request authenticated by `Authorization: Bearer` is exempt (a page on
 *   another origin cannot attach that header without a CORS grant, which this server never gives).
 * - Bodies a cross-site page can send without a preflight (text/plain, form, multipart) are
 *   refused on every route: the API speaks JSON only.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface OriginPolicyOptions {
  /** the address the server listens on; '0.0.0.0' or '::' = every interface (default: loopback) */
  bindHost?: string;
  /** the port the server is served on (default: the port it is listening on) */
  port?: number;
  /** extra names it is served as: `NAME` (any port) or `NAME:PORT` */
  allowedHosts?: readonly string[];
  /** take the host and scheme from X-Forwarded-Host / X-Forwarded-Proto (only behind a reverse proxy) */
  trustProxy?: boolean;
  /** this machine's IP addresses (default: os.networkInterfaces()); a parameter so tests can fix it */
  interfaceAddresses?: () => string[];
}

/** A host as addressed: lower-case name (IPv6 without brackets) and port (null = the scheme's default). */
export interface AddressedHost { name: string; port: number | null }

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);
const EVERY_INTERFACE = new Set(['0.0.0.0', '::', '']);
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** the content types a page may send cross-site without a CORS preflight (the "simple" requests) */
const SIMPLE_BODY_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * Parses a Host header value (`name`, `name:port`, `[v6]`, `[v6]:port`); null when it is not one
 * (empty, user info, a path, a bad port).
 */
export function parseHost(value: string | undefined): AddressedHost | null {
  if (!value) return null;
  const m = /^(?:\[([0-9a-f:.]+)\]|([^\s:/@\\[\]?#]+))(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return null;
  const port = m[3] === undefined ? null : Number(m[3]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  const name = (m[1] ?? m[2]!).toLowerCase();
  if (m[1] !== undefined && isIP(name) !== 6) return null;
  return { name, port };
}

/** Checks configured names (`NAME` or `NAME:PORT`); throws naming the bad one and where it came from. */
export function parseAllowedHosts(names: readonly string[], from: string): string[] {
  for (const name of names) {
    if (!parseHost(name)) throw new Error(`${from}: "${name}" is not a host name (NAME or NAME:PORT, e.g. concur.example.com)`);
  }
  return [...names];
}

const defaultPort = (scheme: string) => (scheme === 'https' ? 443 : 80);

/** Builds the allowed-host test for one server. */
export function hostMatcher(o: OriginPolicyOptions, listeningPort: () => number | null) {
  const configured = (o.allowedHosts ?? []).map((h) => {
    const parsed = parseHost(h);
    if (!parsed) throw new Error(`allowed host "${h}" is not a host name (NAME or NAME:PORT)`);
    return parsed;
  });
  const bind = (o.bindHost ?? '127.0.0.1').replace(/^\[|\]$/g, '').toLowerCase();
  const everyInterface = EVERY_INTERFACE.has(bind);
  const ownAddresses = o.interfaceAddresses ?? (() => Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.toLowerCase())));

  return (host: AddressedHost, scheme: string): boolean => {
    const port = host.port ?? defaultPort(scheme);
    if (configured.some((c) => c.name === host.name && (c.port === null || c.port === port))) return true;
    const served = o.port ?? listeningPort();
    if (served === null || port !== served) return false;
    if (LOOPBACK_NAMES.has(host.name)) return true;
    if (isIP(host.name) === 0) return false;
    if (everyInterface) return ownAddresses().includes(host.name);
    return host.name === bind;
  };
}

/** The scheme a request was addressed with (https only through a trusted proxy that says so). */
export function schemeOf(req: FastifyRequest, trustProxy: boolean): 'http' | 'https' {
  return trustProxy && firstValue(req.headers['x-forwarded-proto'])?.toLowerCase() === 'https' ? 'https' : 'http';
}

/** The host and scheme a request was addressed to (the forwarded ones only when the proxy is trusted). */
function addressedTo(req: FastifyRequest, trustProxy: boolean): { raw: string | undefined; scheme: string } {
  const raw = (trustProxy ? firstValue(req.headers['x-forwarded-host']) : undefined) ?? req.headers.host;
  return { raw, scheme: schemeOf(req, trustProxy) };
}

function firstValue(h: string | string[] | undefined): string | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  return v?.split(',')[0]?.trim() || undefined;
}

/** Whether an Origin header names exactly this scheme, host and port. */
function sameOrigin(origin: string, scheme: string, host: AddressedHost): boolean {
  let url: URL;
  try { url = new URL(origin); } catch { return false; }
  if (url.protocol !== `${scheme}:` || url.username || url.password || url.pathname !== '/') return false;
  const given = parseHost(url.host);
  if (!given) return false;
  return given.name === host.name && (given.port ?? defaultPort(scheme)) === (host.port ?? defaultPort(scheme));
}

/** Why a mutating request is refused, or null when it may go on. */
function changeRefusal(req: FastifyRequest, scheme: string, host: AddressedHost): { status: number; error: string } | null {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type && SIMPLE_BODY_TYPES.has(type)) {
    return { status: 415, error: `this API accepts only JSON bodies (content-type: application/json), not ${type}` };
  }
  if (/^Bearer\s/i.test(req.headers.authorization ?? '')) return null;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (sameOrigin(origin, scheme, host)) return null;
    return { status: 403, error: `a change must come from this server's own page: Origin ${origin} is not ${scheme}://${formatHost(host)}` };
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, error: `a change must come from this server's own page (Sec-Fetch-Site: ${site}, no Origin)` };
  }
  return null;
}

const formatHost = (h: AddressedHost) => `${h.name.includes(':') ? `[${h.name}]` : h.name}${h.port === null ? '' : `:${h.port}`}`;

/** Installs the policy as the first onRequest hook; call before registering anything else. */
export function installOriginPolicy(app: FastifyInstance, o: OriginPolicyOptions): void {
  const listeningPort = () => {
    const address = app.server.address();
    return address && typeof address === 'object' ? address.port : null;
  };
  const allowed = hostMatcher(o, listeningPort);
  const trustProxy = Boolean(o.trustProxy);

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const { raw, scheme } = addressedTo(req, trustProxy);
    const host = parseHost(raw);
    if (!host || !allowed(host, scheme)) {
      return reply.code(421).send({
        error: `this Concur server is not served as "${raw ?? ''}": open it by the address it listens on, or start it with --allowed-host NAME (CONCUR_ALLOWED_HOSTS)`,
      });
    }
    if (MUTATING.has(req.method)) {
      const refusal = changeRefusal(req, scheme, host);
      if (refusal) return reply.code(refusal.status).send({ error: refusal.error });
    }
  });
}
