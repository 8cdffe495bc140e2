import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AppConfigSchema } from '../../shared/api/criteria.ts';

export const systemRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', { schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } }, async () => ({ ok: true }));

  /** Where judge calls go by default and whether a key is present (never the key). */
  app.get('/config', { schema: { response: { 200: AppConfigSchema } } }, async () => ({
    endpoint: app.workspace.engine.endpointOf({ baseUrl: null, apiKeyEnv: 'OPENAI_API_KEY' }),
    prices: app.workspace.repos.prices.list(),
  }));
};
