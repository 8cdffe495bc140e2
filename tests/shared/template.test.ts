import { describe, expect, it } from 'vitest';
import { buildMessages, formatInstruction, renderExamples, renderTemplate, validateTemplate, TEMPLATE_VARIABLES } from '../../shared/template.ts';
import type { Item } from '../../shared/types.ts';

const item = (over: Partial<Item> = {}): Item => ({
  id: 1, datasetId: 1, externalId: 'x', input: 'the input', output: 'the output', outputB: null,
  context: {}, dimensions: {}, split: 'dev', ...over,
});
const binary = { name: 'Correct', description: 'The answer is right', scale: 'binary' as const, levels: null, passAt: null };

describe('validateTemplate', () => {
  it('accepts every documented variable, with or without inner spaces', () => {
    expect(validateTemplate('{{input}} {{ output }} {{context}} {{examples}} {{criterion}} {{context.a.b}} {{dimensions.persona}} {{dimensions.my-dim}}', 'binary')).toEqual([]);
    expect(validateTemplate('{{output}} {{output_b}}', 'pairwise')).toEqual([]);
    expect(TEMPLATE_VARIABLES).toEqual(['input', 'output', 'output_b', 'context', 'examples', 'criterion']);
  });

  it('names each unknown variable and the line it is on', () => {
    const problems = validateTemplate('line one {{output}}\n\n{{Input}}\nand {{ctx.plan}} here\n{{dimension.persona}}', 'binary');
    expect(problems.map((p) => [p.variable, p.line])).toEqual([['Input', 3], ['ctx.plan', 4], ['dimension.persona', 5]]);
    expect(problems[0]!.reason).toContain('unknown variable {{Input}}');
  });

  it('rejects an empty or malformed context/dimensions path', () => {
    expect(validateTemplate('{{output}} {{context.}}', 'binary').map((p) => p.variable)).toEqual(['context.']);
    expect(validateTemplate('{{output}} {{dimensions}}', 'binary').map((p) => p.variable)).toEqual(['dimensions']);
    expect(validateTemplate('{{output}} {{}}', 'binary')).toHaveLength(1);
  });

  it('requires the judged {{output}} to appear', () => {
    expect(validateTemplate('Only {{input}}', 'binary')).toEqual([expect.objectContaining({ variable: 'output', line: 1 })]);
  });

  it('rejects {{output_b}} outside pairwise criteria', () => {
    expect(validateTemplate('{{output}}\n{{output_b}}', 'binary')).toEqual([expect.objectContaining({ variable: 'output_b', line: 2 })]);
  });
});

describe('renderTemplate', () => {
  it('substitutes item fields, criterion, whole context as JSON and nested paths', () => {
    const it1 = item({ context: { plan: 'pro', limits: { seats: 5 } }, dimensions: { persona: 'admin' } });
    const out = renderTemplate('{{criterion}}|{{input}}|{{output}}|{{context.plan}}|{{context.limits}}|{{dimensions.persona}}|{{context.none}}', it1, { criterion: binary, examples: [] });
    expect(out).toBe('Correct: The answer is right|the input|the output|pro|{\n  "seats": 5\n}|admin|');
    expect(renderTemplate('{{context}}', it1, { criterion: binary, examples: [] })).toBe(JSON.stringify(it1.context, null, 2));
  });

  it('does not expand variables or replacement patterns found inside item text', () => {
    const tricky = item({ input: 'please print {{output}} and $& and $1', output: 'secret {{input}}' });
    expect(renderTemplate('IN: {{input}}\nOUT: {{output}}', tricky, { criterion: binary, examples: [] }))
      .toBe('IN: please print {{output}} and $& and $1\nOUT: secret {{input}}');
  });

  it('shows output_b as A and output as B in the swap variant', () => {
    const pair = item({ output: 'first', outputB: 'second' });
    const c = { ...binary, scale: 'pairwise' as const };
    expect(renderTemplate('A={{output}} B={{output_b}}', pair, { criterion: c, examples: [] })).toBe('A=first B=second');
    expect(renderTemplate('A={{output}} B={{output_b}}', pair, { criterion: c, examples: [], swap: true })).toBe('A=second B=first');
  });

  it('renders examples with the expert critique and verdict', () => {
    const ex = [
      { item: item({ input: 'q1', output: 'a1' }), verdict: 'pass', critique: 'Cites the policy.' },
      { item: item({ input: 'q2', output: 'a2' }), verdict: 'fail', critique: 'Invents a discount.' },
    ];
    expect(renderExamples(ex, 'binary')).toBe(
      '### Example 1\nInput:\nq1\n\nOutput:\na1\n\nExpert critique: Cites the policy.\nExpert verdict: pass\n\n' +
      '### Example 2\nInput:\nq2\n\nOutput:\na2\n\nExpert critique: Invents a discount.\nExpert verdict: fail');
    expect(renderTemplate('{{examples}}', item(), { criterion: binary, examples: [] })).toBe('');
  });
});

describe('buildMessages', () => {
  it('puts the format instruction (critique first, the scale\'s verdicts) in the system message', () => {
    const msgs = buildMessages('{{output}}', item(), { criterion: binary, examples: [] });
    expect(msgs).toEqual([
      { role: 'system', content: formatInstruction(binary) },
      { role: 'user', content: 'the output' },
    ]);
    expect(msgs[0]!.content).toContain('{"critique": string, "verdict": "pass" | "fail"}');
    expect(msgs[0]!.content).toMatch(/critique first/i);
    expect(formatInstruction({ ...binary, scale: 'ordinal', levels: 4, passAt: 3 })).toContain('"1" | "2" | "3" | "4"');
    expect(formatInstruction({ ...binary, scale: 'pairwise' })).toContain('"A" | "B" | "tie"');
  });
});
