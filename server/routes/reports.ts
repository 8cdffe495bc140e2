import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AnyObject, GateBody, IdParams, ReportQuery, SplitFilterSchema } from '../../shared/schemas.ts';
import { heavyReadsOf, type HeavyResult } from '../services/reports.ts';

export const reportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;
  const query = (q: { run?: number; version?: number; split?: 'train' | 'dev' | 'test' | 'all'; annotator?: string }) =>
    ({ runId: q.run, versionNumber: q.version, split: q.split, annotator: q.annotator });

  // Heavy reads run off the serving loop (a worker thread on a read-only connection; in-process for
  // ':memory:' workspaces) and identical concurrent requests share one computation: see services/reports.ts.
  const heavy = heavyReadsOf(ws);
  app.addHook('onClose', async () => { await heavy.close(); });
  const body = (r: HeavyResult) => ('body' in r ? r.body : r.text);

  app.get('/criteria/:id/report', {
    schema: { params: IdParams, querystring: Type.Intersect([ReportQuery, Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('md'), Type.Literal('html')])), outcomes: Type.Optional(Type.Boolean()) })]) },
  }, async (req, reply) => {
    const format = req.query.format ?? 'json';
    const r = await heavy.run({ kind: 'report', criterionId: req.params.id, query: query(req.query), format, outcomes: Boolean(req.query.outcomes) });
    if ('text' in r && format === 'md') return reply.type('text/markdown; charset=utf-8').send(r.text);
    if ('text' in r) return reply.type('text/html; charset=utf-8').header('content-disposition', `inline; filename="concur-report-run-${r.runId}.html"`).send(r.text);
    return r.body;
  });

  app.post('/criteria/:id/gate', { schema: { params: IdParams, body: GateBody, response: { 200: AnyObject } } }, async (req) => {
    const { minAgreement, minKappa, minTpr, minTnr } = req.body;
    return body(await heavy.run({ kind: 'gate', criterionId: req.params.id, query: query(req.body), thresholds: { minAgreement, minKappa, minTpr, minTnr }, lowerBound: req.body.lowerBound ?? false }));
  });

  app.get('/criteria/:id/compare', {
    schema: { params: IdParams, querystring: Type.Object({ a: Type.Integer({ minimum: 1 }), b: Type.Integer({ minimum: 1 }), split: Type.Optional(SplitFilterSchema) }), response: { 200: AnyObject } },
  }, async (req) => body(await heavy.run({ kind: 'compare', criterionId: req.params.id, a: req.query.a, b: req.query.b, split: req.query.split })));

  app.get('/criteria/:id/estimate', {
    schema: { params: IdParams, querystring: Type.Object({ version: Type.Integer({ minimum: 1 }), on: Type.Optional(Type.String({ maxLength: 200 })) }), response: { 200: AnyObject } },
  }, async (req) => body(await heavy.run({ kind: 'correctedPassRate', criterionId: req.params.id, version: req.query.version, on: req.query.on })));

  /** Every run of the criterion with its headline metrics on dev and test, for the dashboard (one call, cached per run). */
  app.get('/criteria/:id/dashboard', { schema: { params: IdParams, response: { 200: AnyObject } } }, async (req) =>
    body(await heavy.run({ kind: 'dashboard', criterionId: req.params.id })));
};
