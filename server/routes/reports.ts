import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import { GateBody, Id, IdParams, ReportQuery, SafeInteger, SplitFilterSchema } from '../../shared/schemas.ts';
import { DashboardSchema, ReportSchema, RunComparisonSchema } from '../../shared/api/report.ts';
import { CorrectedPassRateResultSchema, GateOutcomeSchema } from '../../shared/api/runs.ts';
import { heavyReadsOf, type HeavyResult } from '../services/reports.ts';

export const reportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;
  const query = (q: { run?: number; version?: number | 'published'; split?: 'train' | 'dev' | 'test' | 'all'; annotator?: string }) =>
    ({ runId: q.run, versionNumber: q.version, split: q.split, annotator: q.annotator });

  // Heavy reads run off the serving loop (a worker thread on a read-only connection; in-process for
  // ':memory:' workspaces) and identical concurrent requests share one computation: see services/reports.ts.
  const heavy = heavyReadsOf(ws);
  app.addHook('onClose', async () => { await heavy.close(); });
  // a heavy read's JSON body as computed in the worker: its shape is the route's response schema (checked in tests/server/contract.test.ts)
  const body = <T>(r: HeavyResult) => ('body' in r ? r.body : r.text) as T;

  app.get('/criteria/:id/report', {
    schema: { params: IdParams, querystring: Type.Intersect([ReportQuery, Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('md'), Type.Literal('html')])), outcomes: Type.Optional(Type.Boolean()) })]), response: { 200: ReportSchema } },
  }, async (req, reply) => {
    const format = req.query.format ?? 'json';
    const r = await heavy.run({ kind: 'report', criterionId: req.params.id, query: query(req.query), format, outcomes: Boolean(req.query.outcomes) });
    if ('text' in r && format === 'md') return reply.type('text/markdown; charset=utf-8').send(r.text as never);
    if ('text' in r) return reply.type('text/html; charset=utf-8').header('content-disposition', `inline; filename="concur-report-run-${r.runId}.html"`).send(r.text as never);
    return body<Static<typeof ReportSchema>>(r);
  });

  app.post('/criteria/:id/gate', { schema: { params: IdParams, body: GateBody, response: { 200: GateOutcomeSchema } } }, async (req) => {
    const { minAgreement, minKappa, minTpr, minTnr, maxErrorRate } = req.body;
    return body<Static<typeof GateOutcomeSchema>>(await heavy.run({ kind: 'gate', criterionId: req.params.id, query: query(req.body), thresholds: { minAgreement, minKappa, minTpr, minTnr, maxErrorRate }, lowerBound: req.body.lowerBound ?? false }));
  });

  app.get('/criteria/:id/compare', {
    schema: { params: IdParams, querystring: Type.Object({ a: Id, b: Id, split: Type.Optional(SplitFilterSchema) }), response: { 200: RunComparisonSchema } },
  }, async (req) => body<Static<typeof RunComparisonSchema>>(await heavy.run({ kind: 'compare', criterionId: req.params.id, a: req.query.a, b: req.query.b, split: req.query.split })));

  /** Rogan–Gladen corrected pass rate of a version on unlabelled items it judged. */
  app.get('/criteria/:id/corrected-pass-rate', {
    schema: { params: IdParams, querystring: Type.Object({ version: SafeInteger({ minimum: 1 }), on: Type.Optional(Type.String({ maxLength: 200 })) }), response: { 200: CorrectedPassRateResultSchema } },
  }, async (req) => body<Static<typeof CorrectedPassRateResultSchema>>(await heavy.run({ kind: 'correctedPassRate', criterionId: req.params.id, version: req.query.version, on: req.query.on })));

  /** Every run of the criterion with its headline metrics on dev and test, for the dashboard (one call, cached per run). */
  app.get('/criteria/:id/dashboard', { schema: { params: IdParams, response: { 200: DashboardSchema } } }, async (req) =>
    body<Static<typeof DashboardSchema>>(await heavy.run({ kind: 'dashboard', criterionId: req.params.id })));
};
