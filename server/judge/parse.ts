import type { Criterion } from '../../shared/types.ts';
import { normaliseVerdict, describeVerdicts } from '../../shared/verdicts.ts';

export type ParsedReply = { verdict: string; critique: string } | { error: string };

/**
 * Reads a judge reply tolerantly: plain JSON, JSON in a ```code fence```, or the first
 * balanced {...} object inside surrounding prose. The verdict must be one of the criterion's
 * values (case-insensitive, synonyms as in normaliseVerdict); anything else is an error —
 * never a guessed verdict.
 */
export function parseJudgeReply(content: string, criterion: Pick<Criterion, 'scale' | 'levels' | 'passAt'>): ParsedReply {
  const obj = extractObject(content);
  if (!obj) return { error: content.trim() ? 'reply is not a JSON object' : 'empty reply' };
  const verdictKey = Object.keys(obj).find((k) => k.toLowerCase() === 'verdict');
  if (!verdictKey) return { error: 'reply has no "verdict" field' };
  const verdict = normaliseVerdict(obj[verdictKey], criterion);
  if (!verdict) return { error: `verdict ${JSON.stringify(obj[verdictKey])} is not ${describeVerdicts(criterion)}` };
  const critiqueKey = Object.keys(obj).find((k) => ['critique', 'reasoning', 'reason', 'explanation'].includes(k.toLowerCase()));
  const critique = critiqueKey ? obj[critiqueKey] : '';
  return { verdict, critique: typeof critique === 'string' ? critique : JSON.stringify(critique) };
}

function extractObject(content: string): Record<string, unknown> | null {
  const candidates = [content.trim()];
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(content);
  if (fence) candidates.push(fence[1]!.trim());
  const balanced = firstBalancedObject(content);
  if (balanced) candidates.push(balanced);
  for (const c of candidates) {
    try {
      const v: unknown = JSON.parse(c);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch { /* try the next candidate */ }
  }
  return null;
}

function firstBalancedObject(s: string): string | null {
  const start = s.indexOf('{');
  if (start < 0) return null;
  let depth = 0, inString = false, escaped = false;
  for (let i = start; i < s.length; i++) {
    const ch = s[i];
    if (inString) {
      if (escaped) escaped = false; else if (ch === '\\') escaped = true; else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return s.slice(start, i + 1);
  }
  return null;
}

/** JSON schema for structured output, so endpoints that support it return exactly this shape. */
export function verdictSchema(options: string[]) {
  return {
    type: 'json_schema' as const,
    json_schema: {
      name: 'judgment',
      strict: true,
      schema: {
        type: 'object',
        properties: { critique: { type: 'string' }, verdict: { type: 'string', enum: options } },
        required: ['critique', 'verdict'],
        additionalProperties: false,
      },
    },
  };
}
