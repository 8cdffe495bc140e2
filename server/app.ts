import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Workspace } from './services/workspace.ts';
import { NotFoundError, ValidationError } from './services/errors.ts';
import { InputError } from './services/records.ts';
import { LabelConflictError } from './db/index.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { criterionRoutes } from './routes/criteria.ts';
import { labelRoutes } from './routes/labels.ts';
import { versionRoutes } from './routes/versions.ts';
import { runRoutes } from './routes/runs.ts';
import { reportRoutes } from './routes/reports.ts';
import { systemRoutes } from './routes/system.ts';
import { transferRoutes } from './routes/transfer.ts';
import { uiRoutes } from './routes/ui.ts';
import { installOriginPolicy, schemeOf } from './http/origin-policy.ts';
import { installTokenCheck, redactToken } from './http/access-token.ts';
import { BODY_LIMIT } from './http/limits.ts';

export interface AppOptions {
  workspace: Workspace;
  /** required when the server listens on anything but loopback; then every request must carry it */
  token?: string;
  /** built web app directory (default dist/web); absent in API-only tests */
  webRoot?: string;
  /** log requests (one JSON line each, `?token=` redacted); `{ stream }` sends the lines there */
  logger?: boolean | { stream: { write(line: string): void } };
  /** the port it is served on (default: the port it listens on); the allowed hosts carry it */
  port?: number;
  /** the address it listens on (default 127.0.0.1; '0.0.0.0'/'::' = this machine's every IP literal) */
  host?: string;
  /** names it is also served as (`--allowed-host`, CONCUR_ALLOWED_HOSTS): NAME (any port) or NAME:PORT */
  allowedHosts?: readonly string[];
  /** behind a reverse proxy: take the host and scheme from X-Forwarded-Host/-Proto */
  trustProxy?: boolean;
}

// the limits live in their own module so route files need not import the app that registers them
export { BODY_LIMIT, IMPORT_BODY_LIMIT } from './http/limits.ts';

declare module 'fastify' {
  interface FastifyInstance { workspace: Workspace }
}

/** Builds the app (no listening): tests call this with production settings and use inject(). */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ? {
      level: 'info',
      ...(typeof opts.logger === 'object' ? { stream: opts.logger.stream } : {}),
      serializers: {
        req: (req: { method: string; url: string; host?: string; ip?: string }) => ({ method: req.method, url: redactToken(req.url), host: req.host, remoteAddress: req.ip }),
      },
    } : false,
    bodyLimit: BODY_LIMIT,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('workspace', opts.workspace);

  // first of all: answer only requests addressed to a host this server is served as
  installOriginPolicy(app, { bindHost: opts.host, port: opts.port, allowedHosts: opts.allowedHosts, trustProxy: opts.trustProxy });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // served over plain http on loopback; a TLS-terminating proxy sets its own HSTS
    strictTransportSecurity: false,
  });
  await app.register(fastifyCookie);
  if (opts.token) installTokenCheck(app, opts.token, { secureCookie: (req) => schemeOf(req, Boolean(opts.trustProxy)) === 'https' });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof NotFoundError) return reply.code(404).send({ error: err.message });
    if (err instanceof ValidationError) return reply.code(400).send({ error: err.message, field: err.field });
    if (err instanceof InputError) return reply.code(400).send({ error: err.message, file: err.file, line: err.line, field: err.field });
    if (err instanceof LabelConflictError) return reply.code(409).send({ error: err.message, current: err.current });
    if (err.validation) {
      const v = err.validation[0];
      const field = (v?.instancePath || '').replace(/^\//, '').replace(/\//g, '.') || (v?.params as { missingProperty?: string })?.missingProperty || null;
      return reply.code(400).send({ error: `${err.validationContext ?? 'request'}${field ? `.${field}` : ''} ${v?.message ?? 'is invalid'}`, field });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    if (err instanceof Error && /^(no labelled items|no items|position swap)/.test(err.message)) return reply.code(400).send({ error: err.message });
    req.log.error(err);
    return reply.code(500).send({ error: 'internal error; see the server log' });
  });

  await app.register(async (api) => {
    await api.register(systemRoutes);
    await api.register(datasetRoutes);
    await api.register(criterionRoutes);
    await api.register(labelRoutes);
    await api.register(versionRoutes);
    await api.register(runRoutes);
    await api.register(reportRoutes);
    await api.register(transferRoutes);
    await api.register(uiRoutes);
    api.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));
  }, { prefix: '/api' });

  const webRoot = opts.webRoot ?? fileURLToPath(new URL('../dist/web', import.meta.url));
  if (existsSync(webRoot)) {
    await app.register(fastifyStatic, { root: webRoot, index: 'index.html' });
    app.setNotFoundHandler((req, reply) => {
      if (req.method === 'GET' && !req.url.startsWith('/api/')) return reply.sendFile('index.html');
      return reply.code(404).send({ error: 'not found' });
    });
  } else {
    // Fastify's default 404 handler logs the full URL (with any ?token=)
    app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not found' }));
  }
  return app;
}
