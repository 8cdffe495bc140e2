/**
 * Token mode (the server listens on anything but loopback): every request carries the access
 * token as `Authorization: Bearer`, the `concur_token` cookie, or once, as `?token=` on the page
 * the user opens — which sets the cookie and redirects to the same URL without the token, so it
 * does not stay in the address bar, the history or a Referer. Compared in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const TOKEN_COOKIE = 'concur_token';

/** The URL with any `token` query parameter's value replaced, for logs. */
export function redactToken(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}

/** The URL without its `token` query parameter(s), keeping the other parameters in order. */
function withoutToken(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const kept = url.slice(q + 1).split('&').filter((p) => p && !/^token(=|$)/i.test(p));
  return url.slice(0, q) + (kept.length ? `?${kept.join('&')}` : '');
}

function queryToken(req: FastifyRequest): string | undefined {
  const t = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof t === 'string' ? t : undefined;
}

/** Installs the token check (after @fastify/cookie, which parses cookies without throwing). */
export function installTokenCheck(app: FastifyInstance, token: string, opts: { secureCookie: (req: FastifyRequest) => boolean }) {
  const expected = Buffer.from(token);
  const matches = (candidate: string | undefined) => {
    if (!candidate) return false;
    const b = Buffer.from(candidate);
    return b.length === expected.length && timingSafeEqual(b, expected);
  };
  app.addHook('onRequest', async (req, reply) => {
    const header = /^Bearer\s+(.*)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (matches(header) || matches(req.cookies[TOKEN_COOKIE])) return;
    if (matches(queryToken(req))) {
      reply.setCookie(TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/', secure: opts.secureCookie(req) });
      // a page load: drop the token from the address bar; an API call is simply answered
      if (req.method === 'GET' && !req.url.startsWith('/api/')) return reply.redirect(withoutToken(req.url), 303);
      return;
    }
    return reply.code(401).send({ error: 'this Concur server requires its access token (CONCUR_TOKEN): send Authorization: Bearer <token> or open the page with ?token=<token>' });
  });
}
