import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { CriterionSchema, IdParams, NewCriterionBody } from '../../shared/schemas.ts';
import { CriterionDetailSchema } from '../../shared/api/criteria.ts';
import { criterionDetail } from '../services/labelling.ts';

export const criterionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;
  // Failure modes, confirmation and publication (registered here to leave app.ts alone; the lead may move it there).

  app.get('/datasets/:id/criteria', { schema: { params: IdParams, response: { 200: Type.Array(CriterionSchema) } } }, async (req) =>
    ws.repos.criteria.list(ws.dataset(req.params.id).id));

  app.post('/datasets/:id/criteria', { schema: { params: IdParams, body: NewCriterionBody, response: { 201: CriterionSchema } } }, async (req, reply) =>
    reply.code(201).send(ws.addCriterion(req.params.id, req.body)));

  /** Makes an annotator who has labels the criterion's principal (the reference of reports and gates). */
  app.post('/criteria/:id/principal', { schema: { params: IdParams, body: Type.Object({ annotator: Type.String({ minLength: 1, maxLength: 200 }) }), response: { 200: CriterionSchema } } }, async (req) =>
    ws.setPrincipal(ws.criterionById(req.params.id), req.body.annotator));

  /** A criterion with its labelling progress (principal expert, per split) and annotators. */
  app.get('/criteria/:id', { schema: { params: IdParams, response: { 200: CriterionDetailSchema } } }, async (req) => criterionDetail(ws, req.params.id));
};
