import type { Criterion, Split, SplitFilter } from '../../shared/types.ts';
import { buildMessages, formatInstruction, validateTemplate } from '../../shared/template.ts';
import { ValidationError } from './errors.ts';
import { toCsv } from './csv.ts';
import type { Repositories } from '../db/index.ts';

/** What the exports read: the workspace's repositories (the Workspace passes itself). */
type Workspace = { repos: Repositories };

/** One exported label: the item it is on and the annotator's current verdict and critique. */
export interface LabelRow {
  id: string; input: string; output: string; output_b?: string; verdict: string; critique: string;
  ambiguous: boolean; annotator: string; split: Split; labelled_at: string;
}

/** The current labels of one annotator (default: the principal expert), with their items, in item order. */
export function labelRows(ws: Workspace, criterion: Criterion, annotator?: string): LabelRow[] {
  const who = annotator ?? criterion.principalAnnotator;
  const labels = ws.repos.labels.currentByItem(criterion.id, who);
  const pairwise = criterion.scale === 'pairwise';
  return ws.repos.items.all(criterion.datasetId).filter((i) => labels.has(i.id)).map((i) => {
    const l = labels.get(i.id)!;
    return {
      id: i.externalId, input: i.input, output: i.output, ...(pairwise ? { output_b: i.outputB ?? '' } : {}),
      verdict: l.verdict ?? '', critique: l.critique, ambiguous: l.ambiguous, annotator: l.annotator, split: i.split, labelled_at: l.createdAt,
    };
  });
}

/**
 * Labels with critiques as CSV (cells a spreadsheet would run as a formula start with `'`, which
 * Concur's CSV import removes again): id, input, output (output_b for pairwise criteria), verdict,
 * critique, ambiguous, annotator, split, labelled_at. It re-imports as labels (`labels import`)
 * and, having input and output, as a review sheet (items + labels). Empty string when there are none.
 */
export function labelsCsv(ws: Workspace, criterion: Criterion, annotator?: string): string {
  const cols = ['id', 'input', 'output', ...(criterion.scale === 'pairwise' ? ['output_b'] : []), 'verdict', 'critique', 'ambiguous', 'annotator', 'split', 'labelled_at'];
  return toCsv(labelRows(ws, criterion, annotator), cols);
}

export interface FineTuningOptions {
  /**
   * Which items: one split, several, or "all". Default train + dev: the test split stays held out,
   * so the trust report of the distilled judge is still measured on items it never saw.
   */
  split?: SplitFilter | Split[];
  /** A judge template (Concur's {{variables}}); default: the criterion's latest prompt version, else a plain Input/Output rendering. */
  template?: string;
  /** annotator whose labels teach the judge (default: the principal expert) */
  annotator?: string;
}

/** A plain rendering of an item for a judge when there is no template. */
export function plainTemplate(criterion: Pick<Criterion, 'scale' | 'name' | 'description'>): string {
  const head = 'Criterion: {{criterion}}\n\n';
  return criterion.scale === 'pairwise'
    ? `${head}Input:\n{{input}}\n\nResponse A:\n{{output}}\n\nResponse B:\n{{output_b}}`
    : `${head}Input:\n{{input}}\n\nOutput:\n{{output}}`;
}

export interface FineTuningExample { messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }> }

/**
 * Fine-tuning examples in OpenAI chat format for distilling a judge: one per item with a current,
 * non-ambiguous label, messages = [system: Concur's judge instruction, user: the item rendered
 * with the template (few-shot {{examples}} render empty: the fine-tuned judge learns from the
 * data instead), assistant: {"critique": expert critique, "verdict": expert verdict}].
 */
export function fineTuningExamples(ws: Workspace, criterion: Criterion, opts: FineTuningOptions = {}): FineTuningExample[] {
  const splits: Set<Split> | null = opts.split === 'all' ? null
    : new Set(Array.isArray(opts.split) ? opts.split : opts.split ? [opts.split] : ['train', 'dev']);
  for (const s of splits ?? []) if (!['train', 'dev', 'test'].includes(s)) throw new ValidationError('split', `"${s}" is not train, dev, test or all`);
  if (opts.template !== undefined) {
    const problems = validateTemplate(opts.template, criterion.scale);
    if (problems.length) throw new ValidationError('template', problems.map((p) => `line ${p.line}: ${p.reason}`).join('; '));
  }
  const template = opts.template ?? ws.repos.versions.latest(criterion.id)?.template ?? plainTemplate(criterion);
  const labels = ws.repos.labels.currentByItem(criterion.id, opts.annotator ?? criterion.principalAnnotator);
  const out: FineTuningExample[] = [];
  for (const item of ws.repos.items.all(criterion.datasetId)) {
    if (splits && !splits.has(item.split)) continue;
    const l = labels.get(item.id);
    if (!l || l.ambiguous || !l.verdict) continue;
    const [system, user] = buildMessages(template, item, { criterion, examples: [] });
    out.push({
      messages: [
        { role: 'system', content: system?.content ?? formatInstruction(criterion) },
        { role: 'user', content: user!.content },
        { role: 'assistant', content: JSON.stringify({ critique: l.critique, verdict: l.verdict }) },
      ],
    });
  }
  return out;
}

/** The fine-tuning examples as JSONL (one `{"messages": [...]}` per line); empty string when there are none. */
export function fineTuningJsonl(ws: Workspace, criterion: Criterion, opts: FineTuningOptions = {}): string {
  const examples = fineTuningExamples(ws, criterion, opts);
  return examples.map((e) => JSON.stringify(e)).join('\n') + (examples.length ? '\n' : '');
}
