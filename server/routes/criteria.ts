import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AnyObject, CriterionSchema, IdParams, NewCriterionBody } from '../../shared/schemas.ts';

export const criterionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;
  // Failure modes, confirmation and publication (registered here to leave app.ts alone; the lead may move it there).

  app.get('/datasets/:id/criteria', { schema: { params: IdParams, response: { 200: Type.Array(CriterionSchema) } } }, async (req) =>
    ws.repos.criteria.list(ws.dataset(req.params.id).id));

  app.post('/datasets/:id/criteria', { schema: { params: IdParams, body: NewCriterionBody, response: { 201: CriterionSchema } } }, async (req, reply) =>
    reply.code(201).send(ws.addCriterion(req.params.id, req.body)));

  /** A criterion with its labelling progress (principal expert, per split) and annotators. */
  app.get('/criteria/:id', { schema: { params: IdParams, response: { 200: AnyObject } } }, async (req) => {
    const c = ws.criterionById(req.params.id);
    const labels = ws.repos.labels.currentByItem(c.id, c.principalAnnotator);
    const progress = { train: { labelled: 0, total: 0 }, dev: { labelled: 0, total: 0 }, test: { labelled: 0, total: 0 } };
    let ambiguous = 0;
    for (const i of ws.repos.items.all(c.datasetId)) {
      progress[i.split].total++;
      const l = labels.get(i.id);
      if (l) progress[i.split].labelled++;
      if (l?.ambiguous) ambiguous++;
    }
    return { ...c, dataset: ws.dataset(c.datasetId), progress, ambiguous, annotators: ws.repos.labels.annotators(c.id), versions: ws.repos.versions.list(c.id).length };
  });
};
