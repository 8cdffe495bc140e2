import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AppConfigSchema } from '../../shared/api/criteria.ts';
import { commandDbArg } from '../services/workspace-location.ts';

export const systemRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async () => ({ ok: true }));

  /** Where judge calls go by default and whether a key is present (never the key). */
  app.get('/config', { schema: { response: { 200: AppConfigSchema } } }, async () => ({
    endpoint: app.workspace.engine.endpointOf({ baseUrl: null, apiKeyEnv: 'OPENAI_API_KEY' }),
    prices: app.workspace.repos.prices.list(),
    /** what a command pasted in the repository needs to reach this workspace (`--db`, null for the default) */
    workspace: { dbArg: commandDbArg(app.workspace.repos.db.name) },
  }));
};
