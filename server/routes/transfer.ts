import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { IdParams, SplitFilterSchema } from '../../shared/schemas.ts';
import { ForeignImportBody, ForeignImportResultSchema } from '../../shared/api/datasets.ts';
import { IMPORT_BODY_LIMIT } from '../http/limits.ts';
import { convertForeign, detectForeignFormat, FOREIGN_FORMATS, importConverted } from '../services/importers/index.ts';
import { fineTuningJsonl, labelsCsv } from '../services/exports.ts';
import { InputError } from '../services/records.ts';
import type { ForeignFormat } from '../services/importers/index.ts';

/** Imports from the formats users already have, and exports for spreadsheets and fine-tuning. */
export const transferRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ws = app.workspace;

  app.post('/import/foreign', {
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: {
      body: ForeignImportBody,
      response: { 200: ForeignImportResultSchema },
    },
  }, async (req) => {
    const b = req.body;
    const format = (b.format ?? detectForeignFormat(b.fileName, b.text)) as ForeignFormat | null;
    if (!format) throw new InputError(b.fileName, null, null, `cannot tell the format; pass format (${FOREIGN_FORMATS.join(', ')})`);
    const converted = convertForeign(format, b.text, b.fileName, { rubric: b.rubric, columns: b.columns });
    return importConverted(ws, converted, { dataset: b.dataset, criterion: b.criterion, annotator: b.annotator, runName: b.runName });
  });

  app.get('/criteria/:id/export/labels.csv', { schema: { params: IdParams, querystring: Type.Object({ annotator: Type.Optional(Type.String()) }) } }, async (req, reply) => {
    const c = ws.criterionById(req.params.id);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="labels.csv"').send(labelsCsv(ws, c, req.query.annotator));
  });

  app.get('/criteria/:id/export/finetune.jsonl', { schema: { params: IdParams, querystring: Type.Object({ split: Type.Optional(SplitFilterSchema) }) } }, async (req, reply) => {
    const c = ws.criterionById(req.params.id);
    return reply.type('application/jsonl; charset=utf-8').header('content-disposition', 'attachment; filename="finetune.jsonl"').send(fineTuningJsonl(ws, c, { split: req.query.split }));
  });
};
