import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseCsv } from 'csv-parse/sync';
import { tempWorkspace } from '../support/workspace.ts';
import { detectForeignFormat, fromSheet, importConverted } from '../../server/services/importers/index.ts';
import { fineTuningExamples, fineTuningJsonl, labelsCsv, plainTemplate } from '../../server/services/exports.ts';
import { formatInstruction } from '../../shared/template.ts';
import { ValidationError } from '../../server/services/errors.ts';
import type { Criterion } from '../../shared/types.ts';
import { fixture } from './helpers.ts';

let t: ReturnType<typeof tempWorkspace>;
let criterion: Criterion;
beforeEach(() => {
  t = tempWorkspace();
  criterion = importConverted(t.ws, fromSheet(fixture('review-sheet.csv'), 'review-sheet.csv'), { dataset: 'real estate', criterion: 'helpful' }).criterion!;
});
afterEach(() => t.cleanup());

describe('labelsCsv', () => {
  it('exports the current labels with critiques, items and splits', () => {
    const csv = labelsCsv(t.ws, criterion);
    expect(csv.split('\r\n')[0]).toBe('id,input,output,verdict,critique,ambiguous,annotator,split,labelled_at');
    const rows = parseCsv(csv, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.id)).toEqual(['re-001', 're-002', 're-003', 're-004', 're-005', 're-006', 're-007', 're-009', 're-010']);
    const r6 = rows.find((r) => r.id === 're-006')!;
    expect(r6).toMatchObject({ verdict: 'fail', ambiguous: 'false', annotator: 'expert', input: 'What are the school ratings near 5 Oak Hollow?' });
    expect(r6.critique).toMatch(/Made-up zoning is a serious error for families\.\nCheck against the district lookup/);
    expect(rows.find((r) => r.id === 're-009')!.ambiguous).toBe('true');
    expect(rows.every((r) => ['train', 'dev', 'test'].includes(r.split!) && !Number.isNaN(Date.parse(r.labelled_at!)))).toBe(true);
    expect(labelsCsv(t.ws, criterion, 'nobody')).toBe('id,input,output,verdict,critique,ambiguous,annotator,split,labelled_at\r\n');
  });

  it('round-trips: the export imports back as a review sheet with the same labels', () => {
    const csv = labelsCsv(t.ws, criterion);
    expect(detectForeignFormat('labels.csv', csv)).toBe('sheet');
    const other = tempWorkspace();
    try {
      const res = importConverted(other.ws, fromSheet(csv, 'labels.csv'), { dataset: 'copy', criterion: 'helpful' });
      expect(res.items.created).toBe(9);
      expect(res.labels!.added).toBe(9);
      const strip = (csvText: string) => (parseCsv(csvText, { columns: true }) as Array<Record<string, string>>).map(({ labelled_at: _, ...r }) => r);
      expect(strip(labelsCsv(other.ws, res.criterion!))).toEqual(strip(csv));
    } finally { other.cleanup(); }
  });
});

describe('fineTuningJsonl', () => {
  it('writes one chat example per usable label, holding the test split out by default', () => {
    const items = t.ws.repos.items.all(criterion.datasetId);
    const labels = t.ws.repos.labels.currentByItem(criterion.id, 'expert');
    const usable = items.filter((i) => labels.get(i.id)?.verdict && !labels.get(i.id)!.ambiguous);
    expect(usable).toHaveLength(8);
    const notTest = usable.filter((i) => i.split !== 'test');

    const text = fineTuningJsonl(t.ws, criterion);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { messages: Array<{ role: string; content: string }> });
    expect(lines).toHaveLength(notTest.length);
    expect(fineTuningExamples(t.ws, criterion, { split: 'all' })).toHaveLength(8);
    expect(fineTuningExamples(t.ws, criterion, { split: ['test'] })).toHaveLength(usable.length - notTest.length);

    const first = lines[0]!;
    const item = notTest[0]!;
    expect(first.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(first.messages[0]!.content).toBe(formatInstruction(criterion));
    expect(first.messages[1]!.content).toBe(`Criterion: helpful\n\nInput:\n${item.input}\n\nOutput:\n${item.output}`);
    const answer = JSON.parse(first.messages[2]!.content) as Record<string, string>;
    expect(Object.keys(answer)).toEqual(['critique', 'verdict']);
    expect(answer).toEqual({ critique: labels.get(item.id)!.critique, verdict: labels.get(item.id)!.verdict });
  });

  it('renders items with the latest prompt version, or a given template', () => {
    const template = 'Judge the real-estate assistant.\n{{examples}}\nFeature: {{dimensions.feature}}\nUser: {{input}}\nAssistant: {{output}}';
    t.ws.addVersion(criterion, { template, model: 'gpt-4o-mini' });
    const ex = fineTuningExamples(t.ws, criterion, { split: 'all' });
    const re001 = ex.find((e) => e.messages[1]!.content.includes('Find me 3-bedroom homes'))!;
    expect(re001.messages[1]!.content).toMatch(/^Judge the real-estate assistant\.\n\nFeature: listing search\nUser: Find me 3-bedroom homes/);
    const given = fineTuningExamples(t.ws, criterion, { split: 'all', template: plainTemplate(criterion) });
    expect(given[0]!.messages[1]!.content).toMatch(/^Criterion: helpful\n\nInput:\n/);
    expect(() => fineTuningExamples(t.ws, criterion, { template: '{{nope}} {{output}}' })).toThrow(ValidationError);
    expect(() => fineTuningExamples(t.ws, criterion, { split: ['holdout' as 'test'] })).toThrow(ValidationError);
  });

  it('is empty without usable labels', () => {
    expect(fineTuningJsonl(t.ws, criterion, { annotator: 'nobody' })).toBe('');
  });
});
