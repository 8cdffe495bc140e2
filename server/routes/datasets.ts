import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { AnyObject, DatasetSchema, IdParams, ImportBody, ItemSchema, ItemsQuery, PreviewImportBody } from '../../shared/schemas.ts';
import { IMPORT_BODY_LIMIT } from '../app.ts';
import { sourceFromBody } from './body.ts';
import { parseItems } from '../services/imports.ts';
import { InputError } from '../services/records.ts';
import { dimensionSummary, dimensionValue } from '../services/dimensions.ts';

export const datasetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;

  app.get('/datasets', { schema: { response: { 200: Type.Array(DatasetSchema) } } }, async () =>
    ws.repos.datasets.list().map((d) => ({ ...d, criteria: ws.repos.criteria.list(d.id) })));

  app.post('/datasets/import', { bodyLimit: IMPORT_BODY_LIMIT, schema: { body: ImportBody, response: { 200: AnyObject } } }, async (req) =>
    ws.importItems(req.body.name, sourceFromBody(req.body), req.body.map, req.body.splits));

  /** Parses an upload without writing: the first rows as they would be imported, or its problems (every one up to 50, with the count of the rest). */
  app.post('/datasets/preview', { bodyLimit: IMPORT_BODY_LIMIT, schema: { body: PreviewImportBody, response: { 200: AnyObject } } }, async (req) => {
    const src = sourceFromBody(req.body);
    const columns = [...new Set(src.records.slice(0, 100).flatMap((r) => Object.keys(r.fields)))];
    try {
      const items = parseItems(src, req.body.map);
      return { ok: true, total: items.length, columns, rows: items.slice(0, 10), error: null, ...src.warnings!.summary() };
    } catch (e) {
      if (e instanceof InputError) return { ok: false, total: src.records.length, columns, rows: [], error: { message: e.message, line: e.line, field: e.field, errors: e.errors, moreErrors: e.moreErrors } };
      throw e;
    }
  });

  app.get('/datasets/:id', { schema: { params: IdParams, response: { 200: AnyObject } } }, async (req) => {
    const d = ws.dataset(req.params.id);
    const items = ws.repos.items.all(d.id);
    const splits = { train: 0, dev: 0, test: 0 };
    for (const i of items) splits[i.split]++;
    return { ...d, criteria: ws.repos.criteria.list(d.id), splitCounts: splits, dimensions: dimensionSummary(items) };
  });

  app.get('/datasets/:id/items', {
    schema: { params: IdParams, querystring: ItemsQuery, response: { 200: AnyObject } },
  }, async (req) => {
    const d = ws.dataset(req.params.id);
    const q = req.query;
    const limit = q.limit ?? 50, offset = q.offset ?? 0;
    const criterion = q.criterion ? ws.criterionById(q.criterion) : null;
    // Plain paging and search run in SQL; label-status and dimension filters need the labels.
    if (!criterion && !q.status && !q.dimension) return ws.repos.items.page(d.id, { split: q.split, search: q.search, limit, offset });
    const labels = criterion ? ws.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator) : new Map();
    const needle = q.search?.trim().toLowerCase();
    const all = ws.repos.items.all(d.id).filter((i) => {
      if (q.split && i.split !== q.split) return false;
      if (q.dimension && dimensionValue(i, q.dimension) !== q.value) return false;
      if (needle && !`${i.externalId} ${i.input} ${i.output} ${i.outputB ?? ''}`.toLowerCase().includes(needle)) return false;
      const l = labels.get(i.id);
      if (q.status === 'labelled' && !(l && !l.ambiguous)) return false;
      if (q.status === 'unlabelled' && l) return false;
      if (q.status === 'ambiguous' && !l?.ambiguous) return false;
      return true;
    });
    return { total: all.length, items: all.slice(offset, offset + limit).map((i) => ({ ...i, label: labels.get(i.id) ?? null })) };
  });

  app.get('/items/:id', { schema: { params: IdParams, response: { 200: ItemSchema } } }, async (req) => ws.item(req.params.id));
};
