import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams } from '../../shared/schemas.ts';
import { OptimizationList, OptimizationSchema, OptimizeBody, OptimizerCostPreviewSchema } from '../../shared/optimizer-schemas.ts';
import { optimizerOf, type OptimizerProgress } from '../services/optimizer.ts';
import { eventStream } from '../http/event-stream.ts';

/** The optimizer: cost preview, start (in the background), list, one, cancel, live progress. */
export const optimizerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;
  const optimizer = optimizerOf(ws);

  app.post('/criteria/:id/optimizations/cost-preview', { schema: { params: IdParams, body: OptimizeBody, response: { 200: OptimizerCostPreviewSchema } } }, async (req) =>
    optimizer.costPreview(ws.criterionById(req.params.id), req.body));

  /** Records the optimization and starts it in the background; follow it with GET /optimizations/:id or /events. */
  app.post('/criteria/:id/optimizations', { schema: { params: IdParams, body: OptimizeBody, response: { 202: OptimizationSchema } } }, async (req, reply) => {
    const o = optimizer.create(ws.criterionById(req.params.id), req.body);
    optimizer.execute(o.id).catch((e) => req.log.error(e, `optimization ${o.id} failed`));
    return reply.code(202).send(optimizer.view(o.id));
  });

  app.get('/criteria/:id/optimizations', { schema: { params: IdParams, response: { 200: OptimizationList } } }, async (req) =>
    optimizer.list(ws.criterionById(req.params.id)));

  app.get('/optimizations/:id', { schema: { params: IdParams, response: { 200: OptimizationSchema } } }, async (req) => optimizer.view(req.params.id));

  app.post('/optimizations/:id/cancel', { schema: { params: IdParams, response: { 200: OptimizationSchema } } }, async (req) => {
    optimizer.cancel(req.params.id);
    return optimizer.view(req.params.id);
  });

  /** Progress as server-sent events until the optimization ends (one run elsewhere is read from the database every second). */
  app.get('/optimizations/:id/events', { schema: { params: IdParams } }, async (req, reply) => {
    const first = optimizer.view(req.params.id);
    const stream = eventStream(req, reply);
    const isFinal = (s: string) => ['done', 'failed', 'cancelled', 'stopped-by-budget'].includes(s);
    const snapshot = (message = ''): OptimizerProgress => {
      const o = optimizer.get(first.id);
      return { id: o.id, status: o.status, message: message || o.message, step: optimizer.stepsRecorded(o.id), judgeCalls: o.judgeCalls, proposerCalls: o.proposerCalls, cost: o.cost, devPeeks: o.devPeeks };
    };
    const end = () => stream.end({ event: 'end', data: snapshot() });
    stream.send('progress', snapshot());
    if (isFinal(first.status)) { end(); return; }
    const onProgress = (p: OptimizerProgress) => {
      if (p.id !== first.id) return;
      stream.send('progress', p);
      if (isFinal(p.status)) end();
    };
    const poll = setInterval(() => { const s = snapshot(); if (isFinal(s.status)) end(); }, 1000);
    optimizer.on('progress', onProgress);
    stream.onClose(() => { clearInterval(poll); optimizer.off('progress', onProgress); });
  });
};
