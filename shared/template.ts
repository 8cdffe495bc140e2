import type { Criterion, Item } from './types.ts';
import { verdictOptions } from './verdicts.ts';

/** The variables every template may use; `context.x` and `dimensions.x` are allowed too. */
export const TEMPLATE_VARIABLES = ['input', 'output', 'output_b', 'context', 'examples', 'criterion'] as const;

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

export interface TemplateProblem { variable: string; line: number; reason: string }

/** Lists unknown or malformed variables in a template (empty when it is valid). */
export function validateTemplate(template: string, scale?: Criterion['scale']): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const m of template.matchAll(VARIABLE)) {
    const name = m[1]!;
    const line = template.slice(0, m.index).split('\n').length;
    if ((TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
      if (name === 'output_b' && scale && scale !== 'pairwise') problems.push({ variable: name, line, reason: 'output_b exists only for pairwise criteria' });
      continue;
    }
    if (/^(context|dimensions)\.[\w.-]+$/.test(name)) continue;
    problems.push({ variable: name, line, reason: `unknown variable {{${name}}}; use ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(' ')}, {{context.x}} or {{dimensions.x}}` });
  }
  if (!/\{\{\s*output\s*\}\}/.test(template)) problems.push({ variable: 'output', line: 1, reason: 'the template never shows the judged {{output}}' });
  return problems;
}

/** A few-shot example: an item with its expert label. */
export interface Example { item: Item; verdict: string; critique: string }

export interface RenderOptions {
  criterion: Pick<Criterion, 'name' | 'description' | 'scale' | 'levels' | 'passAt'>;
  examples: Example[];
  /** pairwise position-swap variant: show output_b as A and output as B */
  swap?: boolean;
}

function lookup(obj: Record<string, unknown>, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    // own keys only: {{context.constructor}} is the item's "constructor" field or nothing, never Object's
    if (typeof cur !== 'object' || cur === null || !Object.hasOwn(cur, part)) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : JSON.stringify(cur, null, 2);
}

function outputs(item: Item, swap: boolean): { a: string; b: string } {
  return swap ? { a: item.outputB ?? '', b: item.output } : { a: item.output, b: item.outputB ?? '' };
}

export function renderExamples(examples: Example[], scale: Criterion['scale']): string {
  return examples.map((ex, i) => {
    const { a, b } = outputs(ex.item, false);
    const body = scale === 'pairwise'
      ? `Input:\n${ex.item.input}\n\nResponse A:\n${a}\n\nResponse B:\n${b}`
      : `Input:\n${ex.item.input}\n\nOutput:\n${a}`;
    return `### Example ${i + 1}\n${body}\n\nExpert critique: ${ex.critique}\nExpert verdict: ${ex.verdict}`;
  }).join('\n\n');
}

/** Renders a template for one item. Unknown variables must have been rejected at save time. */
export function renderTemplate(template: string, item: Item, opts: RenderOptions): string {
  const { a, b } = outputs(item, opts.swap ?? false);
  const criterionText = opts.criterion.description ? `${opts.criterion.name}: ${opts.criterion.description}` : opts.criterion.name;
  return template.replace(VARIABLE, (whole, name: string) => {
    switch (name) {
      case 'input': return item.input;
      case 'output': return a;
      case 'output_b': return b;
      case 'context': return JSON.stringify(item.context, null, 2);
      case 'examples': return renderExamples(opts.examples, opts.criterion.scale);
      case 'criterion': return criterionText;
    }
    if (name.startsWith('context.')) return lookup(item.context, name.slice(8));
    if (name.startsWith('dimensions.')) return item.dimensions[name.slice(11)] ?? '';
    return whole;
  });
}

/** The instruction Concur adds so every judge answers in the same parseable shape. */
export function formatInstruction(criterion: RenderOptions['criterion']): string {
  const options = verdictOptions(criterion).map((v) => JSON.stringify(v)).join(' | ');
  const meaning = criterion.scale === 'pairwise'
    ? ' ("A" if response A is better, "B" if response B is better, "tie" if neither is)'
    : criterion.scale === 'ordinal' ? ` (1 = worst, ${criterion.levels} = best)` : '';
  return `You are an evaluator. Answer with a single JSON object and nothing else: {"critique": string, "verdict": ${options}}${meaning}. Write the critique first: reason step by step about the criterion, then give the verdict.`;
}

export interface ChatMessage { role: 'system' | 'user'; content: string }

export function buildMessages(template: string, item: Item, opts: RenderOptions): ChatMessage[] {
  return [
    { role: 'system', content: formatInstruction(opts.criterion) },
    { role: 'user', content: renderTemplate(template, item, opts) },
  ];
}
