import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AnyObject, IdParams, ImportRunBody, NewRunBody, RunSchema } from '../../shared/schemas.ts';
import { IMPORT_BODY_LIMIT } from '../app.ts';
import { sourceFromBody } from './body.ts';
import type { RunProgress } from '../judge/engine.ts';
import { describeEndpoint } from '../judge/provider.ts';
import { ValidationError } from '../services/errors.ts';

export const runRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;

  app.get('/criteria/:id/runs', { schema: { params: IdParams, response: { 200: Type.Array(RunSchema) } } }, async (req) =>
    ws.repos.runs.list(ws.criterionById(req.params.id).id));

  /** Starts a run in the background; progress via GET /runs/:id and /runs/:id/events. */
  app.post('/criteria/:id/runs', { schema: { params: IdParams, body: NewRunBody, response: { 202: RunSchema } } }, async (req, reply) => {
    const c = ws.criterionById(req.params.id);
    const v = ws.version(c, req.body.version);
    const endpoint = describeEndpoint(v);
    if (!endpoint.configured) {
      throw new ValidationError('version', `no judge endpoint configured: start Concur with ${v.apiKeyEnv} set (and OPENAI_BASE_URL for a non-OpenAI endpoint), or save a version with a base URL`);
    }
    const run = ws.engine.plan({
      criterion: c, version: v, split: req.body.split ?? 'dev', scope: req.body.scope, samples: req.body.samples,
      concurrency: req.body.concurrency, variant: { ...(req.body.permuteSeed !== undefined ? { permuteSeed: req.body.permuteSeed } : {}), ...(req.body.swap ? { swap: true } : {}) },
    });
    ws.engine.execute(run.id, { noCache: req.body.noCache }).catch((e) => req.log.error(e, `run ${run.id} failed`));
    return reply.code(202).send(ws.run(run.id));
  });

  app.post('/criteria/:id/runs/import', { bodyLimit: IMPORT_BODY_LIMIT, schema: { params: IdParams, body: ImportRunBody, response: { 201: RunSchema } } }, async (req, reply) =>
    reply.code(201).send(ws.importRun(ws.criterionById(req.params.id), sourceFromBody(req.body), req.body.name)));

  app.get('/runs/:id', { schema: { params: IdParams, response: { 200: RunSchema } } }, async (req) => ws.run(req.params.id));

  app.post('/runs/:id/cancel', { schema: { params: IdParams, response: { 200: RunSchema } } }, async (req) => {
    ws.engine.cancel(ws.run(req.params.id).id);
    return ws.run(req.params.id);
  });

  app.get('/runs/:id/judgments', { schema: { params: IdParams, response: { 200: Type.Array(AnyObject) } } }, async (req) =>
    ws.repos.runs.judgments(ws.run(req.params.id).id));

  /** Live progress as server-sent events until the run ends. */
  app.get('/runs/:id/events', { schema: { params: IdParams } }, async (req, reply) => {
    const run = ws.run(req.params.id);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const snapshot = (r = ws.run(run.id)): RunProgress => ({
      runId: r.id, status: r.status, total: r.total, done: r.done, errors: r.errors, cached: r.cached,
      promptTokens: r.promptTokens, completionTokens: r.completionTokens, cost: r.cost, ratePerSec: 0, etaSec: null, message: r.message,
    });
    send('progress', snapshot());
    const final = () => ['done', 'failed', 'cancelled'].includes(ws.run(run.id).status) && !ws.engine.isActive(run.id);
    if (final()) { send('end', snapshot()); res.end(); return; }
    const onProgress = (p: RunProgress) => { if (p.runId === run.id) send('progress', p); };
    const onFinished = (r: { id: number }) => { if (r.id === run.id) { send('end', snapshot()); cleanup(); res.end(); } };
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const cleanup = () => { clearInterval(keepAlive); ws.engine.off('progress', onProgress); ws.engine.off('finished', onFinished); };
    ws.engine.on('progress', onProgress);
    ws.engine.on('finished', onFinished);
    req.raw.on('close', cleanup);
  });
};
