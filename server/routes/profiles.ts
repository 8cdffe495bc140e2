import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { IdParams } from '../../shared/schemas.ts';
import { ConnectionTestSchema, NewProfileBody, ProfileSchema, TestConnectionBody, UpdateProfileBody } from '../../shared/api/profiles.ts';
import { addProfile, describeProfile, editProfile, listProfiles, profileByRef, removeProfile, testProfile } from '../services/profiles.ts';

/** Endpoint profiles: list, add, edit, delete (when no version names one) and test connection. */
export const profileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;

  app.get('/profiles', { schema: { response: { 200: Type.Array(ProfileSchema) } } }, async () => listProfiles(ws));

  app.get('/profiles/:id', { schema: { params: IdParams, response: { 200: ProfileSchema } } }, async (req) =>
    describeProfile(ws, profileByRef(ws, req.params.id)));

  app.post('/profiles', { schema: { body: NewProfileBody, response: { 201: ProfileSchema } } }, async (req, reply) =>
    reply.code(201).send(addProfile(ws, req.body)));

  app.put('/profiles/:id', { schema: { params: IdParams, body: UpdateProfileBody, response: { 200: ProfileSchema } } }, async (req) =>
    editProfile(ws, req.params.id, req.body));

  app.delete('/profiles/:id', { schema: { params: IdParams, response: { 204: Type.Null() } } }, async (req, reply) => {
    removeProfile(ws, req.params.id);
    return reply.code(204).send(null);
  });

  /** One real call through the profile (recorded in model_calls): 200 with the reply, or with the error and a hint. */
  app.post('/profiles/:id/test', { schema: { params: IdParams, body: TestConnectionBody, response: { 200: ConnectionTestSchema } } }, async (req) =>
    testProfile(ws, req.params.id, req.body.model));
};
