import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { existsSync } from 'node:fs';
import { WEB_OUT } from './paths.ts';
import { randomUUID } from 'node:crypto';
import type { Workspace } from './services/workspace.ts';
import { AnnotatorWithoutLabelsError, UserError } from './services/errors.ts';
import { InputError } from './services/records.ts';
import { LabelConflictError, explainWriteError } from './db/index.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { criterionRoutes } from './routes/criteria.ts';
import { labelRoutes } from './routes/labels.ts';
import { versionRoutes } from './routes/versions.ts';
import { runRoutes } from './routes/runs.ts';
import { taskRoutes } from './routes/tasks.ts';
import { reportRoutes } from './routes/reports.ts';
import { systemRoutes } from './routes/system.ts';
import { transferRoutes } from './routes/transfer.ts';
import { uiRoutes } from './routes/ui.ts';
import { convergeRoutes } from './routes/converge.ts';
import { optimizerRoutes } from './routes/optimizer.ts';
import { profileRoutes } from './routes/profiles.ts';
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

  app.setErrorHandler((thrown: FastifyError, req, reply) => {
    // a raw SQLite lock/read-only error from a repository becomes the typed workspace error it means
    const err = explainWriteError(thrown, opts.workspace.repos.db) as FastifyError;
    if (err instanceof UserError) {
      const body: Record<string, unknown> = { error: err.message, code: err.code };
      if (err.file !== null) Object.assign(body, { file: err.file, line: err.line, field: err.field });
      // an input file's problems, every one (up to 50) with the count of the rest
      if (err instanceof InputError) Object.assign(body, { errors: err.errors, moreErrors: err.moreErrors });
      else if (err.field !== null) body.field = err.field;
      // a report against an annotator without labels names those who have some (the UI offers to make one principal)
      if (err instanceof AnnotatorWithoutLabelsError) body.withLabels = err.withLabels;
      if (err.retryable) { body.retryable = true; reply.header('retry-after', '1'); }
      return reply.code(err.status).send(body);
    }
    if (err instanceof LabelConflictError) return reply.code(409).send({ error: err.message, code: 'label_conflict', current: err.current });
    if (err.validation) {
      const v = err.validation[0];
      const field = (v?.instancePath || '').replace(/^\//, '').replace(/\//g, '.') || (v?.params as { missingProperty?: string })?.missingProperty || null;
      return reply.code(400).send({ error: `${err.validationContext ?? 'request'}${field ? `.${field}` : ''} ${v?.message ?? 'is invalid'}`, code: 'invalid_request', field });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message, code: err.code ?? 'bad_request' });
    // A defect: the details stay in the server's log (always on stderr), the client gets an id to find them.
    const errorId = randomUUID().slice(0, 8);
    process.stderr.write(`concur: error ${errorId} on ${req.method} ${req.url.split('?')[0]}: ${err.stack ?? err.message}\n`);
    return reply.code(500).send({
      error: `internal error ${errorId} while handling ${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}; the server's log (stderr) has the details under this id — retry, and if it fails again report those lines`,
      code: 'internal', errorId,
    });
  });

  await app.register(async (api) => {
    await api.register(systemRoutes);
    await api.register(datasetRoutes);
    await api.register(criterionRoutes);
    await api.register(labelRoutes);
    await api.register(versionRoutes);
    await api.register(runRoutes);
    await api.register(taskRoutes);
    await api.register(reportRoutes);
    await api.register(transferRoutes);
    await api.register(uiRoutes);
    await api.register(convergeRoutes);
    await api.register(optimizerRoutes);
    await api.register(profileRoutes);
    api.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));
  }, { prefix: '/api' });

  const webRoot = opts.webRoot ?? WEB_OUT;
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
