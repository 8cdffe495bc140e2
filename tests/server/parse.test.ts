import { describe, expect, it } from 'vitest';
import { parseJudgeReply, verdictSchema } from '../../server/judge/parse.ts';

const binary = { scale: 'binary' as const, levels: null, passAt: null };

describe('parseJudgeReply: tolerant parsing of judge replies', () => {
  it('reads plain JSON', () => {
    expect(parseJudgeReply('{"critique": "Cites the policy.", "verdict": "pass"}', binary)).toEqual({ verdict: 'pass', critique: 'Cites the policy.' });
  });

  it('reads JSON inside a ```json fence with prose around it', () => {
    const reply = 'Here is my evaluation:\n\n```json\n{\n  "critique": "The refund window is wrong.",\n  "verdict": "fail"\n}\n```\nLet me know if you need more.';
    expect(parseJudgeReply(reply, binary)).toEqual({ verdict: 'fail', critique: 'The refund window is wrong.' });
  });

  it('reads a bare ``` fence', () => {
    expect(parseJudgeReply('```\n{"critique":"ok","verdict":"PASS"}\n```', binary)).toEqual({ verdict: 'pass', critique: 'ok' });
  });

  it('reads the object out of surrounding prose, braces inside strings included', () => {
    const reply = 'My answer: {"critique": "Uses {placeholders} and \\"quotes\\" correctly }", "verdict": "pass"} — done.';
    expect(parseJudgeReply(reply, binary)).toEqual({ verdict: 'pass', critique: 'Uses {placeholders} and "quotes" correctly }' });
  });

  it('finds the verdict object after prose that itself contains braces', () => {
    const reply = 'The reply fills the {customer_name} slot. {"critique": "Template variable left unfilled.", "verdict": "fail"}';
    expect(parseJudgeReply(reply, binary)).toEqual({ verdict: 'fail', critique: 'Template variable left unfilled.' });
  });

  it('prefers the object that holds a verdict over an earlier JSON object quoted from the context', () => {
    const reply = 'The account is {"plan": "pro"}. My judgment: {"critique": "Plan is pro, answer assumes free.", "verdict": "fail"}';
    expect(parseJudgeReply(reply, binary)).toEqual({ verdict: 'fail', critique: 'Plan is pro, answer assumes free.' });
  });

  it('steps past an unclosed brace in the prose', () => {
    const reply = 'The {name placeholder is never closed. {"critique": "Unfilled slot.", "verdict": "fail"}';
    expect(parseJudgeReply(reply, binary)).toEqual({ verdict: 'fail', critique: 'Unfilled slot.' });
  });

  it('accepts key case variants, synonyms and alternative critique keys', () => {
    expect(parseJudgeReply('{"Reasoning": "r", "Verdict": "FAIL"}', binary)).toEqual({ verdict: 'fail', critique: 'r' });
    expect(parseJudgeReply('{"explanation": "e", "verdict": true}', binary)).toEqual({ verdict: 'pass', critique: 'e' });
    expect(parseJudgeReply('{"verdict": "pass"}', binary)).toEqual({ verdict: 'pass', critique: '' });
  });

  it('never guesses: unparseable, verdict-less or invalid replies are errors', () => {
    expect(parseJudgeReply('I think it passes!', binary)).toEqual({ error: 'reply is not a JSON object' });
    expect(parseJudgeReply('   ', binary)).toEqual({ error: 'empty reply' });
    expect(parseJudgeReply('{"critique": "fine"}', binary)).toEqual({ error: 'reply has no "verdict" field' });
    const bad = parseJudgeReply('{"critique": "x", "verdict": "mostly pass"}', binary);
    expect(bad).toHaveProperty('error');
    expect((bad as { error: string }).error).toContain('"mostly pass"');
    expect(parseJudgeReply('["pass"]', binary)).toHaveProperty('error');
    expect(parseJudgeReply('{"critique": "cut off', binary)).toHaveProperty('error');
  });

  it('reads ordinal and pairwise verdicts', () => {
    expect(parseJudgeReply('{"critique":"c","verdict":4}', { scale: 'ordinal', levels: 5, passAt: 4 })).toEqual({ verdict: '4', critique: 'c' });
    expect(parseJudgeReply('{"critique":"c","verdict":"b"}', { scale: 'pairwise', levels: null, passAt: null })).toEqual({ verdict: 'B', critique: 'c' });
  });
});

describe('verdictSchema', () => {
  it('asks for critique then verdict, restricted to the scale\'s values', () => {
    const s = verdictSchema(['pass', 'fail']);
    expect(s.type).toBe('json_schema');
    expect(s.json_schema.strict).toBe(true);
    expect(Object.keys(s.json_schema.schema.properties)).toEqual(['critique', 'verdict']);
    expect(s.json_schema.schema.properties.verdict.enum).toEqual(['pass', 'fail']);
    expect(s.json_schema.schema.required).toEqual(['critique', 'verdict']);
  });
});
