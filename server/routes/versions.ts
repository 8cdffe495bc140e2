import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { IdParams, NewVersionBody, PreviewBody, VersionSchema } from '../../shared/schemas.ts';
import { TemplatePreviewSchema } from '../../shared/api/criteria.ts';
import type { PromptVersion } from '../../shared/types.ts';
import { NotFoundError } from '../services/errors.ts';

export const versionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;
  /** A version with where its calls would go through its profile as it is now (key presence only, never the key). */
  const withEndpoint = (v: PromptVersion) => ({ ...v, endpoint: ws.engine.endpointOf(ws.engine.resolveVersion(v).version) });

  app.get('/criteria/:id/versions', { schema: { params: IdParams, response: { 200: Type.Array(VersionSchema) } } }, async (req) =>
    ws.repos.versions.list(ws.criterionById(req.params.id).id).map(withEndpoint));

  app.post('/criteria/:id/versions', { schema: { params: IdParams, body: NewVersionBody, response: { 201: VersionSchema } } }, async (req, reply) =>
    reply.code(201).send(withEndpoint(ws.addVersion(ws.criterionById(req.params.id), req.body))));

  app.get('/versions/:id', { schema: { params: IdParams, response: { 200: VersionSchema } } }, async (req) => {
    const v = ws.repos.versions.get(req.params.id);
    if (!v) throw new NotFoundError(`no version #${req.params.id}`);
    return withEndpoint(v);
  });

  /** The exact messages a template would send for an item, and any template problems. */
  app.post('/criteria/:id/preview', { schema: { params: IdParams, body: PreviewBody, response: { 200: TemplatePreviewSchema } } }, async (req) =>
    ws.preview(ws.criterionById(req.params.id), req.body.template, req.body.itemId, req.body.examples));
};
