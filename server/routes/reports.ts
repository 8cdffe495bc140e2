import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AnyObject, GateBody, Id, IdParams, ReportQuery, SafeInteger, SplitFilterSchema } from '../../shared/schemas.ts';
import { ReportSchema, RunComparisonSchema } from '../../shared/api/report.ts';
import { CorrectedPassRateResultSchema, GateOutcomeSchema } from '../../shared/api/runs.ts';
import { evaluateGate } from '../../shared/metrics/gate.ts';
import { reportableRuns } from '../../shared/runs.ts';
import { reportMarkdown, reportHtml } from '../services/render-report.ts';
import { reportWithOutcomes } from '../services/report-outcomes.ts';

export const reportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;
  const query = (q: { run?: number; version?: number | 'published'; split?: 'train' | 'dev' | 'test' | 'all'; annotator?: string }) =>
    ({ runId: q.run, versionNumber: q.version, split: q.split, annotator: q.annotator });

  app.get('/criteria/:id/report', {
    schema: { params: IdParams, querystring: Type.Intersect([ReportQuery, Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('md'), Type.Literal('html')])), outcomes: Type.Optional(Type.Boolean()) })]), response: { 200: ReportSchema } },
  }, async (req, reply) => {
    const r = ws.report(ws.criterionById(req.params.id), query(req.query));
    // text bodies bypass the JSON serializer (the schema types only the JSON report), hence `as never`
    if (req.query.format === 'md') return reply.type('text/markdown; charset=utf-8').send(reportMarkdown(r) as never);
    if (req.query.format === 'html') return reply.type('text/html; charset=utf-8').header('content-disposition', `inline; filename="concur-report-run-${r.run.id}.html"`).send(reportHtml(r) as never);
    return reportWithOutcomes(ws, r, req.query.outcomes ?? false);
  });

  app.post('/criteria/:id/gate', { schema: { params: IdParams, body: GateBody, response: { 200: GateOutcomeSchema } } }, async (req) => {
    const r = ws.report(ws.criterionById(req.params.id), query(req.body));
    return { ...evaluateGate(r.report, req.body, req.body.lowerBound ?? false), run: r.run.id, n: r.report.n };
  });

  app.get('/criteria/:id/compare', {
    schema: { params: IdParams, querystring: Type.Object({ a: Id, b: Id, split: Type.Optional(SplitFilterSchema) }), response: { 200: RunComparisonSchema } },
  }, async (req) => ws.compare(ws.criterionById(req.params.id), req.query.a, req.query.b, req.query.split));

  /** Rogan–Gladen corrected pass rate of a version on unlabelled items it judged. */
  app.get('/criteria/:id/corrected-pass-rate', {
    schema: { params: IdParams, querystring: Type.Object({ version: SafeInteger({ minimum: 1 }), on: Type.Optional(Type.String({ maxLength: 200 })) }), response: { 200: CorrectedPassRateResultSchema } },
  }, async (req) => ws.correctedPassRate(ws.criterionById(req.params.id), req.query.version, req.query.on));

  /** Every run of the criterion with its headline metrics on dev and test, for the dashboard (one call). */
  app.get('/criteria/:id/dashboard', { schema: { params: IdParams, response: { 200: AnyObject } } }, async (req) => {
    const c = ws.criterionById(req.params.id);
    const runs = reportableRuns(ws.repos.runs.list(c.id), c.datasetId);
    const versions = ws.repos.versions.list(c.id);
    const rows = runs.map((run) => {
      const metrics = Object.fromEntries((['dev', 'test'] as const).map((split) => {
        const rep = ws.report(c, { runId: run.id, split }).report;
        return [split, { n: rep.n, excluded: rep.excluded, agreement: rep.agreement, kappa: rep.kappa, tpr: rep.tpr, tnr: rep.tnr, confusion: rep.confusion }];
      }));
      return { run, metrics };
    });
    return { criterion: c, versions, runs: rows };
  });
};
