import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { Id, IdParams, ImportLabelsBody, JudgeWrongBody, JudgeWrongReviewSchema, LabelSchema, RootCauseBody, SaveLabelBody } from '../../shared/schemas.ts';
import { ItemTagsSchema, LabelExportRowSchema, RootCausesSchema } from '../../shared/api/criteria.ts';
import { LabelImportResultSchema } from '../../shared/api/datasets.ts';
import { IMPORT_BODY_LIMIT } from '../http/limits.ts';
import { JudgeWrongReviews } from '../services/judge-wrong.ts';
import { sourceFromBody } from './body.ts';
import { rootCauseTags, tagRootCause, untagRootCause } from '../services/labelling.ts';

export const labelRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;
  const judgeWrong = new JudgeWrongReviews(ws);

  app.get('/criteria/:id/labels', {
    schema: { params: IdParams, querystring: Type.Object({ annotator: Type.Optional(Type.String()) }), response: { 200: Type.Array(LabelSchema) } },
  }, async (req) => {
    const c = ws.criterionById(req.params.id);
    return [...ws.repos.labels.currentByItem(c.id, req.query.annotator ?? c.principalAnnotator).values()];
  });

  /**
   * Saves a label; 409 with the current label when someone else changed it since `expectedId`;
   * 503 (code workspace_busy, retryable) when another process kept the workspace locked meanwhile.
   */
  app.post('/criteria/:id/labels', { schema: { params: IdParams, body: SaveLabelBody, response: { 201: LabelSchema } } }, async (req, reply) => {
    const c = ws.criterionById(req.params.id);
    const label = await ws.saveLabelWhenUnlocked(c, { ...req.body, ambiguous: req.body.ambiguous ?? false });
    return reply.code(201).send(label);
  });

  /** The full history of an item's labels for the criterion, every annotator, oldest first. */
  app.get('/criteria/:id/items/:itemId/labels', {
    schema: { params: Type.Object({ id: Id, itemId: Id }), response: { 200: Type.Array(LabelSchema) } },
  }, async (req) => ws.repos.labels.history(ws.criterionById(req.params.id).id, ws.item(req.params.itemId).id));

  app.post('/criteria/:id/labels/import', { bodyLimit: IMPORT_BODY_LIMIT, schema: { params: IdParams, body: ImportLabelsBody, response: { 200: LabelImportResultSchema } } }, async (req) =>
    ws.importLabels(ws.criterionById(req.params.id), sourceFromBody(req.body), req.body.annotator));

  app.get('/criteria/:id/labels/export', { schema: { params: IdParams, querystring: Type.Object({ annotator: Type.Optional(Type.String()) }), response: { 200: Type.Array(LabelExportRowSchema) } } }, async (req) =>
    ws.exportLabels(ws.criterionById(req.params.id), req.query.annotator));

  /** "Keep label — judge wrong": a stored decision on one disagreement of a run (the first one stands). */
  app.post('/criteria/:id/judge-wrong', { schema: { params: IdParams, body: JudgeWrongBody, response: { 201: JudgeWrongReviewSchema } } }, async (req, reply) =>
    reply.code(201).send(judgeWrong.keep(ws.criterionById(req.params.id), req.body)));

  app.get('/criteria/:id/judge-wrong', {
    schema: { params: IdParams, querystring: Type.Object({ run: Id }), response: { 200: Type.Array(JudgeWrongReviewSchema) } },
  }, async (req) => judgeWrong.ofRun(ws.criterionById(req.params.id), req.query.run));

  app.get('/criteria/:id/root-causes', { schema: { params: IdParams, response: { 200: RootCausesSchema } } }, async (req) => rootCauseTags(ws, req.params.id));

  app.post('/criteria/:id/root-causes', { schema: { params: IdParams, body: RootCauseBody, response: { 201: ItemTagsSchema } } }, async (req, reply) =>
    reply.code(201).send(tagRootCause(ws, req.params.id, req.body.itemId, req.body.tag)));

  app.delete('/criteria/:id/root-causes', { schema: { params: IdParams, body: RootCauseBody, response: { 200: ItemTagsSchema } } }, async (req) =>
    untagRootCause(ws, req.params.id, req.body.itemId, req.body.tag));
};
