import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { IdParams, SplitSchema } from '../../shared/schemas.ts';
import { ErrorAnalysisSchema, QueueSchema } from '../../shared/api/criteria.ts';
import { reviewQueue } from '../services/labelling.ts';
import { errorAnalysis } from '../services/error-analysis.ts';

/** Routes that exist for the web UI's screens: compact views the other routes do not give in one call. */
export const uiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;

  /** The expert's review queue (see reviewQueue): small enough for 5,000 items, so the UI steps through it without a round trip per step. */
  app.get('/criteria/:id/queue', {
    schema: {
      params: IdParams,
      querystring: Type.Object({
        split: Type.Optional(SplitSchema),
        dimension: Type.Optional(Type.String({ maxLength: 200 })),
        value: Type.Optional(Type.String({ maxLength: 500 })),
        order: Type.Optional(Type.Union([Type.Literal('unlabelled'), Type.Literal('dataset')])),
      }),
      response: { 200: QueueSchema },
    },
  }, async (req) => reviewQueue(ws, req.params.id, req.query));

  /** Failure rates by dimension value and root-cause tag counts from the expert's labels (see errorAnalysis). */
  app.get('/criteria/:id/error-analysis', { schema: { params: IdParams, response: { 200: ErrorAnalysisSchema } } }, async (req) => errorAnalysis(ws, req.params.id));
};
