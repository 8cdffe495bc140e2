import { InputError, isObject, parseRecords, ProblemCollector, type SourceRecord } from '../records.ts';
import { asText, dedupeGeneratedIds, scalarDimensions, stableHash, type ConvertedImport } from './common.ts';

/** Text of a message's content: a string, or an array of parts whose text parts are joined (other parts shown as [type]). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => {
      if (typeof part === 'string') return part;
      if (!isObject(part)) return '';
      if (typeof part.text === 'string') return part.text;
      if (isObject(part.text) && typeof part.text.value === 'string') return part.text.value;
      if (typeof part.refusal === 'string') return part.refusal;
      return `[${typeof part.type === 'string' ? part.type : 'content'}]`;
    }).filter((s) => s !== '').join('\n');
  }
  if (content === null || content === undefined) return '';
  return asText(content);
}

function toolCallsText(calls: unknown): string {
  if (!Array.isArray(calls) || !calls.length) return '';
  return calls.map((c) => {
    if (!isObject(c)) return asText(c);
    const fn = isObject(c.function) ? c.function : c;
    return `${asText(fn.name) || 'tool'}(${asText(fn.arguments)})`;
  }).join('\n');
}

/** One message as transcript text ("role: content"); tool calls and tool results are spelled out. */
function messageText(m: Record<string, unknown>): string {
  const role = asText(m.role) || 'unknown';
  const name = typeof m.name === 'string' && m.name ? ` (${m.name})` : '';
  const body = contentText(m.content);
  const calls = toolCallsText(m.tool_calls ?? (m.function_call ? [m.function_call] : undefined));
  const parts = [body, calls ? `[tool call] ${calls}` : ''].filter(Boolean);
  return `${role}${name}: ${parts.join('\n')}`;
}

/**
 * Converts OpenAI chat JSONL (`{"messages": [{"role", "content"}, ...], ...}` per line: the
 * fine-tuning format, or logged chat completions) into items. The final message must be the
 * assistant's: it is the output to judge.
 *
 * What the judge sees:
 * - output: the final assistant message's text (content parts joined; a tool-call-only reply
 *   as `name(arguments)`);
 * - input: the conversation before it, minus leading system messages. A single user message is
 *   the input as is (the common case, and what a judge template wants under {{input}}); a longer
 *   conversation is a readable transcript, one "role: content" block per message separated by
 *   blank lines, because a judge reads a transcript better than escaped JSON;
 * - context: `system` (the leading system/developer message(s), so templates can show
 *   {{context.system}}), plus any `context` object on the line;
 * - dimensions: the scalar values of the line's `metadata` object;
 * - id: the line's `id` (or `custom_id`), else `chat-` + a stable hash of the messages.
 * A line whose last message is not an assistant reply is rejected naming the line and "messages".
 */
export function fromChatJsonl(text: string, fileName: string): ConvertedImport {
  const lines = parseRecords(text, 'jsonl', fileName);
  if (!lines.length) throw new InputError(fileName, null, null, 'no lines found');
  const warnings: string[] = [];
  const items: SourceRecord[] = [];
  const generated = new Set<SourceRecord>();
  // every line is checked: the problems of the whole file are listed at once (up to 50, and the count of the rest)
  const problems = new ProblemCollector();
  for (const rec of lines) problems.record(() => {
    const fail = (field: string, reason: string): never => { throw new InputError(fileName, rec.line, field, reason); };
    const messages = rec.fields.messages;
    if (!Array.isArray(messages) || !messages.length) fail('messages', 'must be a non-empty array of {"role", "content"} messages');
    const msgs = messages as unknown[];
    msgs.forEach((m, i) => {
      if (!isObject(m) || typeof m.role !== 'string') fail(`messages[${i}]`, 'must be an object with a "role"');
    });
    const list = msgs as Array<Record<string, unknown>>;
    const last = list[list.length - 1]!;
    if (last.role !== 'assistant') {
      fail('messages', `has no final assistant message (the last message is a "${last.role}" message); the assistant's reply is the output to judge`);
    }
    const calls = toolCallsText(last.tool_calls ?? (last.function_call ? [last.function_call] : undefined));
    if (last.content === undefined && !calls) fail(`messages[${list.length - 1}].content`, 'the final assistant message has no content');
    // an empty reply ("" or null content) is kept: a model can answer nothing, and that is judged too
    const output = contentText(last.content).trim() || !calls ? contentText(last.content) : calls;
    const before = list.slice(0, -1);
    let start = 0;
    const system: string[] = [];
    while (start < before.length && (before[start]!.role === 'system' || before[start]!.role === 'developer')) system.push(contentText(before[start++]!.content));
    const convo = before.slice(start);
    if (!convo.length) fail('messages', 'has no message before the final assistant reply: nothing to show as the input');
    const input = convo.length === 1 && convo[0]!.role === 'user' && !convo[0]!.name
      ? contentText(convo[0]!.content)
      : convo.map(messageText).join('\n\n');

    const context: Record<string, unknown> = Object.create(null);
    if (system.length) context.system = system.join('\n\n');
    if (isObject(rec.fields.context)) Object.assign(context, rec.fields.context);
    const given = rec.fields.id ?? rec.fields.custom_id;
    const hasId = given !== undefined && given !== null && String(given).trim() !== '';
    const id = hasId ? String(given) : `chat-${stableHash(messages)}`;
    const item: SourceRecord = { line: rec.line, fields: { id, input, output, context, dimensions: scalarDimensions(rec.fields.metadata) } };
    if (!hasId) generated.add(item);
    items.push(item);
  });
  problems.done();
  dedupeGeneratedIds(items, generated, warnings, 'conversation');
  return {
    format: 'chat',
    items: { name: fileName, records: items, origins: { id: 'id', input: 'messages', output: 'messages', context: 'context', dimensions: 'metadata' } },
    warnings,
  };
}
