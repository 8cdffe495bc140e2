import type { Criterion } from '../../shared/types.ts';
import { normaliseVerdict, describeVerdicts } from '../../shared/verdicts.ts';

export type ParsedReply = { verdict: string; critique: string } | { error: string };

/**
 * Reads a judge reply tolerantly: plain JSON, JSON in a ```code fence```, or a balanced
 * {...} object inside surrounding prose (the first one that holds a verdict, so braces or
 * quoted JSON earlier in the prose do not hide it). The verdict must be one of the criterion's
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

const hasVerdict = (o: Record<string, unknown>) => Object.keys(o).some((k) => k.toLowerCase() === 'verdict');

/** The first JSON object in the reply that holds a verdict, else the first JSON object at all. */
function extractObject(content: string): Record<string, unknown> | null {
  let first: Record<string, unknown> | null = null;
  for (const c of candidates(content)) {
    let v: unknown;
    try { v = JSON.parse(c); } catch { continue; }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    const obj = v as Record<string, unknown>;
    if (hasVerdict(obj)) return obj;
    first ??= obj;
  }
  return first;
}

/** The whole reply, then the bodies of its code fences, then its balanced {...} spans left to right. */
function* candidates(content: string): Generator<string> {
  yield content.trim();
  for (const m of content.matchAll(/```(?:json)?\s*([\s\S]*?)```/gi)) yield m[1]!.trim();
  // Bounded, so a long reply full of stray braces cannot make parsing quadratic.
  let from = content.indexOf('{');
  for (let tries = 0; from >= 0 && tries < 64; tries++) {
    const end = balancedEnd(content, from);
    let parsed = false;
    if (end >= 0) {
      const span = content.slice(from, end + 1);
      yield span;
      try { JSON.parse(span); parsed = true; } catch { /* prose like "{name}": look inside it */ }
    }
    // a span that parses is skipped whole; an unclosed or non-JSON one is stepped into
    from = content.indexOf('{', parsed ? end + 1 : from + 1);
  }
}

/** Index of the brace closing the object opened at `start`, or -1 if it is never closed. */
function balancedEnd(s: string, start: number): number {
  let depth = 0, inString = false, escaped = false;
  for (let i = start; i < s.length; i++) {
    const ch = s[i];
    if (inString) {
      if (escaped) escaped = false; else if (ch === '\\') escaped = true; else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i;
  }
  return -1;
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
