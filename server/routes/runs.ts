import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { IdParams, ImportRunBody, NewRunBody, RunSchema } from '../../shared/schemas.ts';
import { JudgmentSchema, PriceSchema } from '../../shared/api/records.ts';
import { RunImportResultSchema } from '../../shared/api/datasets.ts';
import { RunCostPreviewSchema } from '../../shared/api/runs.ts';
import { IMPORT_BODY_LIMIT } from '../http/limits.ts';
import { sourceFromBody } from './body.ts';
import type { RunProgress } from '../judge/engine.ts';
import { progressOf } from '../../shared/runs.ts';
import { runCostPreview, startRun } from '../services/runs.ts';
import { eventStream } from '../http/event-stream.ts';

export const runRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;

  app.get('/criteria/:id/runs', { schema: { params: IdParams, response: { 200: Type.Array(RunSchema) } } }, async (req) =>
    ws.repos.runs.list(ws.criterionById(req.params.id).id));

  /** Starts a run in the background; progress via GET /runs/:id and /runs/:id/events. */
  app.post('/criteria/:id/runs', { schema: { params: IdParams, body: NewRunBody, response: { 202: RunSchema } } }, async (req, reply) =>
    reply.code(202).send(startRun(ws, req.params.id, req.body, (e, runId) => req.log.error(e, `run ${runId} failed`))));

  /** What the run would send and cost (requests, cache hits, tokens, USD), without calling the endpoint. */
  app.post('/criteria/:id/runs/cost-preview', { schema: { params: IdParams, body: NewRunBody, response: { 200: RunCostPreviewSchema } } }, async (req) =>
    runCostPreview(ws, req.params.id, req.body));

  /** The per-model price table (USD per million tokens) that run costs and cost previews use. */
  app.get('/prices', { schema: { response: { 200: Type.Array(PriceSchema) } } }, async () => ws.repos.prices.list());

  app.put('/prices', { schema: { body: PriceSchema, response: { 200: PriceSchema } } }, async (req) => {
    ws.repos.prices.set(req.body.model, req.body.inputPerMTok, req.body.outputPerMTok);
    return ws.repos.prices.get(req.body.model)!;
  });

  app.post('/criteria/:id/runs/import', { bodyLimit: IMPORT_BODY_LIMIT, schema: { params: IdParams, body: ImportRunBody, response: { 201: RunImportResultSchema } } }, async (req, reply) =>
    reply.code(201).send(ws.importRun(ws.criterionById(req.params.id), sourceFromBody(req.body), req.body.name)));

  app.get('/runs/:id', { schema: { params: IdParams, response: { 200: RunSchema } } }, async (req) => ws.run(req.params.id));

  app.post('/runs/:id/cancel', { schema: { params: IdParams, response: { 200: RunSchema } } }, async (req) => {
    ws.engine.cancel(ws.run(req.params.id).id);
    return ws.run(req.params.id);
  });

  app.get('/runs/:id/judgments', { schema: { params: IdParams, response: { 200: Type.Array(JudgmentSchema) } } }, async (req) =>
    ws.repos.runs.judgments(ws.run(req.params.id).id));

  /**
   * Live progress as server-sent events until the run ends. A run executed by this process
   * streams the engine's events; one executed elsewhere (e.g. by `concur run`) is read from the
   * database every second, so the UI follows CLI runs too.
   */
  app.get('/runs/:id/events', { schema: { params: IdParams } }, async (req, reply) => {
    const run = ws.run(req.params.id);
    const stream = eventStream(req, reply);
    const snapshot = (r = ws.run(run.id), ratePerSec = 0, etaSec: number | null = null): RunProgress => progressOf(r, ratePerSec, etaSec);
    const isFinal = (status: string) => ['done', 'failed', 'cancelled'].includes(status);
    const end = () => stream.end({ event: 'end', data: snapshot() });
    stream.send('progress', snapshot());
    if (isFinal(ws.run(run.id).status) && !ws.engine.isActive(run.id)) { end(); return; }
    const onProgress = (p: RunProgress) => { if (p.runId === run.id) stream.send('progress', p); };
    const onFinished = (r: { id: number }) => { if (r.id === run.id) end(); };
    let last = { at: performance.now(), done: run.done };
    const poll = setInterval(() => {
      if (ws.engine.isActive(run.id)) return;
      const r = ws.run(run.id);
      if (isFinal(r.status)) { end(); return; }
      const now = performance.now();
      const rate = (r.done - last.done) / Math.max(0.001, (now - last.at) / 1000);
      last = { at: now, done: r.done };
      stream.send('progress', snapshot(r, rate, rate > 0 ? (r.total - r.done) / rate : null));
    }, 1000);
    ws.engine.on('progress', onProgress);
    ws.engine.on('finished', onFinished);
    stream.onClose(() => { clearInterval(poll); ws.engine.off('progress', onProgress); ws.engine.off('finished', onFinished); });
  });
};
