import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { IdParams, ImportBody, ItemSchema, ItemsQuery, PreviewImportBody } from '../../shared/schemas.ts';
import { DatasetDetailSchema, DatasetSummarySchema, ImportPreviewSchema, ItemImportResultSchema, ItemPageSchema } from '../../shared/api/datasets.ts';
import { IMPORT_BODY_LIMIT } from '../http/limits.ts';
import { sourceFromBody } from './body.ts';
import { datasetDetail, datasetSummaries, previewImport, searchItems } from '../services/datasets.ts';

export const datasetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;

  app.get('/datasets', { schema: { response: { 200: Type.Array(DatasetSummarySchema) } } }, async () => datasetSummaries(ws));

  app.post('/datasets/import', { bodyLimit: IMPORT_BODY_LIMIT, schema: { body: ImportBody, response: { 200: ItemImportResultSchema } } }, async (req) =>
    ws.importItems(req.body.name, sourceFromBody(req.body), req.body.map, req.body.splits));

  /** Parses an upload without writing: the first rows as they would be imported, or its problems (every one up to 50, with the count of the rest). */
  app.post('/datasets/preview', { bodyLimit: IMPORT_BODY_LIMIT, schema: { body: PreviewImportBody, response: { 200: ImportPreviewSchema } } }, async (req) =>
    previewImport(sourceFromBody(req.body), req.body.map));

  app.get('/datasets/:id', { schema: { params: IdParams, response: { 200: DatasetDetailSchema } } }, async (req) => datasetDetail(ws, req.params.id));

  /** A page of items; split, search, dimension value and the principal expert's label status filter in SQL. */
  app.get('/datasets/:id/items', {
    schema: { params: IdParams, querystring: ItemsQuery, response: { 200: ItemPageSchema } },
  }, async (req) => searchItems(ws, req.params.id, req.query));

  app.get('/items/:id', { schema: { params: IdParams, response: { 200: ItemSchema } } }, async (req) => ws.item(req.params.id));
};
