import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../support/workspace.ts';
import { fromChatJsonl, importConverted, contentText } from '../../server/services/importers/index.ts';
import { counts, fixture, inputError } from './helpers.ts';

const FILE = 'chat.jsonl';
const text = fixture(FILE);
const line = (messages: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ messages, ...extra });

let t: ReturnType<typeof tempWorkspace>;
beforeEach(() => { t = tempWorkspace(); });
afterEach(() => t.cleanup());

describe('fromChatJsonl', () => {
  it('makes the final assistant reply the output and the conversation before it the input', () => {
    const c = fromChatJsonl(text, FILE);
    expect(c.format).toBe('chat');
    const [single, refund, multi, parts, tool] = c.items.records.map((r) => r.fields);
    // a single user message is the input as is; the system prompt goes to context.system
    expect(single).toMatchObject({
      id: expect.stringMatching(/^chat-[0-9a-f]{12}$/),
      input: 'Why was I charged twice this month?',
      output: expect.stringMatching(/^I see two charges of \$29/),
      context: { system: expect.stringMatching(/^You are Ledgerly's billing assistant/) },
      dimensions: { feature: 'billing', persona: 'small business owner' },
    });
    expect(refund!.output).toBe("No problem, I've refunded last month's $29 to your card. It will appear in 3-5 days.");
    // a multi-turn conversation is a readable transcript; the line's id is kept
    expect(multi).toMatchObject({
      id: 'conv-7731',
      input: 'user: How do I export my invoices?\n\nassistant: Go to Settings, then Billing, then Invoices, and click Export.\n\nuser: As CSV? I need it for my accountant.',
      dimensions: { feature: 'invoices', persona: 'small business owner', turns: '2' },
    });
    // content parts: text joined, other parts named
    expect(parts).toMatchObject({ input: 'What does this error on my invoice page mean?\n[image_url]', output: expect.stringMatching(/^Error 402 means/), context: {} });
    // tool calls and tool results are spelled out in the transcript
    expect(tool!.input).toBe('user: What plan am I on?\n\nassistant: [tool call] get_account({"fields": ["plan"]})\n\ntool: {"plan": "Team", "seats": 5, "price": 99}');
    expect(c.items.records.map((r) => r.line)).toEqual([1, 2, 3, 4, 5]);
    expect(c.labels).toBeUndefined();
    expect(c.run).toBeUndefined();
  });

  it('imports the conversations as items (no criterion needed) and creates the criterion when named', () => {
    const { ws } = t;
    const res = importConverted(ws, fromChatJsonl(text, FILE), { dataset: 'billing bot' });
    expect(res.items).toMatchObject({ created: 5 });
    expect(res.criterion).toBeNull();
    const again = importConverted(ws, fromChatJsonl(text, FILE), { dataset: 'billing bot', criterion: 'no refund promises' });
    expect(again.items).toMatchObject({ created: 0, updated: 5 });
    expect(again.criterion).toMatchObject({ name: 'no refund promises', scale: 'binary' });
    expect(counts(ws)).toEqual({ datasets: 1, items: 5, criteria: 1, labels: 0, runs: 0, judgments: 0 });
    const item = ws.repos.items.byExternalId(res.dataset.id, 'conv-7731')!;
    expect(item.context.system).toMatch(/Never promise refunds/);
  });

  it('rejects a line without a final assistant message, naming the line and "messages", and imports nothing', () => {
    const { ws } = t;
    importConverted(ws, fromChatJsonl(text, FILE), { dataset: 'billing bot' });
    const before = counts(ws);
    const bad = [text.trimEnd(), line([{ role: 'user', content: 'Hello?' }, { role: 'assistant', content: 'Hi!' }, { role: 'user', content: 'Are you there?' }])].join('\n') + '\n';
    const e = inputError(() => importConverted(ws, fromChatJsonl(bad, FILE), { dataset: 'billing bot' }));
    expect(e.message).toBe(`${FILE}:6: field "messages": has no final assistant message (the last message is a "user" message); the assistant's reply is the output to judge`);
    expect(counts(ws)).toEqual(before);
  });

  it('rejects missing messages, messages without a role, broken JSON and a reply with nothing before it', () => {
    expect(inputError(() => fromChatJsonl(`${line([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }])}\n{"prompt": "x"}\n`, FILE))).toMatchObject({ line: 2, field: 'messages' });
    expect(inputError(() => fromChatJsonl(line([{ content: 'a' }, { role: 'assistant', content: 'b' }]), FILE))).toMatchObject({ line: 1, field: 'messages[0]' });
    expect(inputError(() => fromChatJsonl(`\n\n{"messages": [`, FILE))).toMatchObject({ line: 3, field: null });
    expect(inputError(() => fromChatJsonl(line([{ role: 'system', content: 's' }, { role: 'assistant', content: 'b' }]), FILE))).toMatchObject({ line: 1, field: 'messages' });
    expect(inputError(() => fromChatJsonl(line([{ role: 'user', content: 'a' }, { role: 'assistant' }]), FILE))).toMatchObject({ line: 1, field: 'messages[1].content' });
  });

  it('keeps an empty reply (it is judged too) and renames identical conversations with a warning', () => {
    const same = line([{ role: 'user', content: 'ping' }, { role: 'assistant', content: 'pong' }]);
    const c = fromChatJsonl([same, line([{ role: 'user', content: 'say nothing' }, { role: 'assistant', content: null }]), same].join('\n'), FILE);
    expect(c.items.records[1]!.fields.output).toBe('');
    expect(c.items.records[2]!.fields.id).toBe(`${String(c.items.records[0]!.fields.id)}-2`);
    expect(c.warnings).toEqual([`line 3: identical conversation seen before; imported as "${String(c.items.records[2]!.fields.id)}"`]);
    const { ws } = t;
    expect(importConverted(ws, c, { dataset: 'd' }).items.created).toBe(3);
  });

  it('reads the text of content parts', () => {
    expect(contentText([{ type: 'text', text: 'a' }, { type: 'input_audio', input_audio: {} }, { type: 'text', text: 'b' }])).toBe('a\n[input_audio]\nb');
    expect(contentText(null)).toBe('');
  });
});
