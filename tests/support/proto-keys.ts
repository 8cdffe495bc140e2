/** Data named like Object.prototype's members, for the prototype-key tests (API and browser). */

/** Every name an object inherits, plus the usual pollution suspects. */
export const PROTO_KEYS = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype', 'keys', 'constructor'])];

/**
 * Items JSONL whose ids, dimension names, dimension values and context keys are every prototype
 * key. Written by hand, so `__proto__` is an own key of the parsed record (as JSON.parse makes it).
 */
export function protoItemsJsonl(): string {
  const lines: string[] = [];
  PROTO_KEYS.forEach((name, i) => {
    // dimension names are prototype keys and so are the values (shifted, so every key appears as both)
    const dims = PROTO_KEYS.map((d, j) => `${JSON.stringify(d)}: ${JSON.stringify(PROTO_KEYS[(i + j) % PROTO_KEYS.length])}`).join(', ');
    const ctx = `{${JSON.stringify(name)}: ${JSON.stringify(name)}, "nested": {${JSON.stringify(name)}: 1}}`;
    lines.push(`{"id": ${JSON.stringify(name)}, "input": "question ${i}", "output": "answer ${i}", "context": ${ctx}, "dimensions": {${dims}}}`);
  });
  return lines.join('\n') + '\n';
}

/** Labels JSONL: every item labelled by an annotator named after every prototype key. */
export function protoLabelsJsonl(): string {
  return PROTO_KEYS.flatMap((id, i) => PROTO_KEYS.map((who, j) =>
    JSON.stringify({ id, verdict: (i + j) % 3 ? 'pass' : 'fail', critique: `${who} on ${id}`, annotator: who }))).join('\n') + '\n';
}

/** An imported run's JSONL: one verdict per item. */
export function protoRunJsonl(name: string): string {
  return PROTO_KEYS.map((id, i) => JSON.stringify({ id, verdict: (i + name.length) % 2 ? 'pass' : 'fail', critique: `judge ${name}` })).join('\n') + '\n';
}
