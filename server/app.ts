import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { timingSafeEqual } from 'node:crypto';
import type { Workspace } from './services/workspace.ts';
import { NotFoundError, ValidationError } from './services/errors.ts';
import { InputError } from './services/records.ts';
import { LabelConflictError, WorkspaceBusyError, WorkspaceReadOnlyError, explainWriteError } from './db/index.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { criterionRoutes } from './routes/criteria.ts';
import { labelRoutes } from './routes/labels.ts';
import { versionRoutes } from './routes/versions.ts';
import { runRoutes } from './routes/runs.ts';
import { reportRoutes } from './routes/reports.ts';
import { systemRoutes } from './routes/system.ts';
import { transferRoutes } from './routes/transfer.ts';
import { uiRoutes } from './routes/ui.ts';

export interface AppOptions {
  workspace: Workspace;
  /** required when the server listens on anything but loopback; then every request must carry it */
  token?: string;
  /** built web app directory (default dist/web); absent in API-only tests */
  webRoot?: string;
  logger?: boolean;
}

export const BODY_LIMIT = 1024 * 1024;
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyInstance { workspace: Workspace }
}

/** Builds the app (no listening): tests call this with production settings and use inject(). */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ? { level: 'info', redact: ['req.headers.authorization', 'req.headers.cookie'] } : false,
    bodyLimit: BODY_LIMIT,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('workspace', opts.workspace);

  if (opts.token) installTokenCheck(app, opts.token);

  app.setErrorHandler((thrown: FastifyError, req, reply) => {
    const err = explainWriteError(thrown, opts.workspace.repos.db) as FastifyError;
    if (err instanceof WorkspaceBusyError) return reply.code(503).header('retry-after', '1').send({ error: err.message, code: err.code, retryable: true });
    if (err instanceof WorkspaceReadOnlyError) return reply.code(409).send({ error: err.message, code: err.code, retryable: false });
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
    // A server error is always reported, also when request logging is off.
    if (!opts.logger) console.error(`${req.method} ${req.url.split('?')[0]} failed:`, err);
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
  }
  return app;
}

/** Off loopback every request needs the token: `Authorization: Bearer`, `?token=` (sets a cookie) or that cookie. */
function installTokenCheck(app: FastifyInstance, token: string) {
  const expected = Buffer.from(token);
  const matches = (candidate: string | undefined) => {
    if (!candidate) return false;
    const b = Buffer.from(candidate);
    return b.length === expected.length && timingSafeEqual(b, expected);
  };
  app.addHook('onRequest', async (req, reply) => {
    const header = req.headers.authorization?.replace(/^Bearer\s+/i, '');
    const query = (req.query as Record<string, string> | undefined)?.token;
    const cookie = /(?:^|;\s*)concur_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (matches(header) || matches(cookie ? decodeURIComponent(cookie) : undefined)) return;
    if (matches(query)) {
      reply.header('set-cookie', `concur_token=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      return;
    }
    return reply.code(401).send({ error: 'this Concur server requires its access token (CONCUR_TOKEN): send Authorization: Bearer <token> or open the page with ?token=<token>' });
  });
}
