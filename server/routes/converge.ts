import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdParams } from '../../shared/schemas.ts';
import {
  AcceptModesBody, AcceptVersionResponse, ByBody, ConfirmationSchema, ConfirmSuggestionBody, FailureModeList, FailureModeSchema, FailureTagBody,
  FailureTagList, GroupBody, ItemParams, ModeCriterionBody, ModeCriterionResponse, ModeRatesList, ProposalSchema, PublicationHistory,
  PublicationSchema, SuggestedLabelList, TagVocabulary,
} from '../../shared/converge-schemas.ts';
import { LabelSchema } from '../../shared/schemas.ts';
import { FailureModes } from '../services/failure-modes.ts';
import { Confirmations } from '../services/confirmations.ts';
import { ValidationError } from '../errors.ts';

/** The model endpoint a request names, if any (baseUrl/apiKeyEnv without a model is an error). */
function modelOf(b: { model?: string; baseUrl?: string; apiKeyEnv?: string; profile?: string }) {
  if (b.profile) {
    if (b.baseUrl !== undefined || b.apiKeyEnv !== undefined) throw new ValidationError('profile', 'name either an endpoint profile or a baseUrl and apiKeyEnv, not both');
    return { model: b.model ?? '', profile: b.profile };
  }
  if (!b.model) {
    if (b.baseUrl !== undefined || b.apiKeyEnv !== undefined) throw new ValidationError('model', 'name the model to group with (baseUrl and apiKeyEnv go with a model)');
    return undefined;
  }
  return { model: b.model, baseUrl: b.baseUrl ?? null, ...(b.apiKeyEnv !== undefined ? { apiKeyEnv: b.apiKeyEnv } : {}) };
}

/** Failure modes (open and axial coding, rates, specialised criteria), candidates' acceptance, confirmation and publication. */
export const convergeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;
  const modes = new FailureModes(ws);
  const confirmations = new Confirmations(ws);
  const criterion = (id: number) => ws.criterionById(id);

  // ── open coding ──
  app.get('/criteria/:id/items/:itemId/failure-tags', { schema: { params: ItemParams, response: { 200: FailureTagList } } }, async (req) =>
    modes.tags(criterion(req.params.id), req.params.itemId));
  app.post('/criteria/:id/items/:itemId/failure-tags', { schema: { params: ItemParams, body: FailureTagBody, response: { 201: FailureTagList } } }, async (req, reply) =>
    reply.code(201).send(modes.addTag(criterion(req.params.id), req.params.itemId, req.body.tag, req.body.annotator)));
  app.delete('/criteria/:id/items/:itemId/failure-tags', { schema: { params: ItemParams, body: FailureTagBody, response: { 200: FailureTagList } } }, async (req) =>
    modes.removeTag(criterion(req.params.id), req.params.itemId, req.body.tag));
  app.get('/criteria/:id/failure-tags', { schema: { params: IdParams, response: { 200: TagVocabulary } } }, async (req) =>
    modes.vocabulary(criterion(req.params.id)));

  // ── axial coding ──
  app.post('/criteria/:id/failure-modes/group', { schema: { params: IdParams, body: GroupBody, response: { 200: ProposalSchema } } }, async (req) =>
    modes.group(criterion(req.params.id), { by: req.body.by, splits: req.body.splits, model: modelOf(req.body) }));
  app.post('/criteria/:id/failure-modes', { schema: { params: IdParams, body: AcceptModesBody, response: { 201: FailureModeList } } }, async (req, reply) =>
    reply.code(201).send(modes.accept(criterion(req.params.id), req.body)));
  app.get('/criteria/:id/failure-modes', { schema: { params: IdParams, response: { 200: FailureModeList } } }, async (req) =>
    modes.list(criterion(req.params.id)));
  app.get('/criteria/:id/failure-modes/rates', { schema: { params: IdParams, response: { 200: ModeRatesList } } }, async (req) =>
    modes.rates(criterion(req.params.id)));
  app.get('/failure-modes/:id', { schema: { params: IdParams, response: { 200: FailureModeSchema } } }, async (req) =>
    modes.mode(req.params.id).mode);

  // ── specialised judges ──
  app.post('/failure-modes/:id/criterion', { schema: { params: IdParams, body: ModeCriterionBody, response: { 201: ModeCriterionResponse } } }, async (req, reply) =>
    reply.code(201).send(modes.makeCriterion(req.params.id, { name: req.body.name })));
  app.get('/criteria/:id/suggested-labels', { schema: { params: IdParams, response: { 200: SuggestedLabelList } } }, async (req) =>
    modes.suggestions(criterion(req.params.id)));
  app.post('/criteria/:id/items/:itemId/suggested-label/confirm', { schema: { params: ItemParams, body: ConfirmSuggestionBody, response: { 201: LabelSchema } } }, async (req, reply) =>
    reply.code(201).send(modes.confirmSuggestion(criterion(req.params.id), req.params.itemId, req.body)));

  // ── candidates, confirmation, publication ──
  app.post('/versions/:id/accept', { schema: { params: IdParams, body: ByBody, response: { 200: AcceptVersionResponse } } }, async (req) =>
    confirmations.acceptCandidate(req.params.id, req.body.by));
  app.post('/versions/:id/confirm', { schema: { params: IdParams, body: ByBody, response: { 201: ConfirmationSchema } } }, async (req, reply) =>
    reply.code(201).send(confirmations.confirm(req.params.id, req.body.by)));
  app.post('/versions/:id/publish', { schema: { params: IdParams, body: ByBody, response: { 201: PublicationSchema } } }, async (req, reply) =>
    reply.code(201).send(confirmations.publish(req.params.id, req.body.by)));
  app.post('/criteria/:id/unpublish', { schema: { params: IdParams, body: ByBody, response: { 200: PublicationSchema } } }, async (req) =>
    confirmations.unpublish(criterion(req.params.id), req.body.by));
  app.get('/criteria/:id/publications', { schema: { params: IdParams, response: { 200: PublicationHistory } } }, async (req) =>
    confirmations.history(criterion(req.params.id)));
};
