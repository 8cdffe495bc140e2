import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { buildMessages, validateTemplate, type Example } from '../../shared/template.ts';
import { verdictSchema } from '../../server/judge/parse.ts';
import type { Criterion, Item, PromptVersion, Run } from '../../shared/types.ts';
import type { ChatRequest } from './openai-server.ts';
import { startFakeOpenAI, type FakeOpenAI } from './openai-server.ts';
import {
  FAILURE_MODES_SCHEMA, LEARNED_RULES_HEADING, PROPOSAL_SCHEMA, groupFailureModes, parseRules, quotedPhrases,
  readJudgePrompt, requestKind, rubricRespond, type FailureModes, type Proposal,
} from './rubric-model.ts';
import { ruleDataset, RULE_DATASET_ANNOTATOR } from './rule-dataset.ts';
import { tempWorkspace } from './workspace.ts';
import { source } from './seed.ts';
import { FAST_PROVIDER, TEST_ENV } from '../judge/helpers.ts';
import type { Workspace } from '../../server/services/workspace.ts';

const binary: Pick<Criterion, 'name' | 'description' | 'scale' | 'levels' | 'passAt'> = { name: 'correct', description: 'The reply is correct and follows the billing policy', scale: 'binary', levels: null, passAt: null };

function item(over: Partial<Item> & { externalId: string; input: string; output: string }): Item {
  return { id: 1, datasetId: 1, outputB: null, context: {}, dimensions: {}, split: 'dev', ...over };
}

/** A judge request exactly as Concur's engine builds it (messages + structured output). */
function judgeRequest(template: string, it: Item, examples: Example[] = [], structured = true): ChatRequest {
  return {
    model: 'stand-in',
    messages: buildMessages(template, it, { criterion: binary, examples }),
    ...(structured ? { response_format: verdictSchema(['pass', 'fail']) } : {}),
  };
}

function reply(req: ChatRequest): { critique: string; verdict: string } {
  return JSON.parse(rubricRespond(req)) as { critique: string; verdict: string };
}

const SIMPLE = '## Customer message\n{{input}}\n\n## Assistant reply\n{{output}}\n\n## Rules\n';
const judgeWith = (rules: string, output: string, input = 'Can I get a refund?') =>
  reply(judgeRequest(SIMPLE + rules, item({ externalId: 'x', input, output })));

describe('rubric stand-in: judge rules', () => {
  it('FAIL if the response mentions a phrase, matched case-insensitively', () => {
    const r = judgeWith('FAIL if the response mentions "refund guaranteed"', 'Good news: Refund Guaranteed!');
    expect(r.verdict).toBe('fail');
    expect(r.critique).toContain('Rule 1 decided: FAIL if the response mentions "refund guaranteed"');
    expect(judgeWith('FAIL if the response mentions "refund guaranteed"', 'We will review your refund.').verdict).toBe('pass');
  });

  it('FAIL if the response does not mention a phrase', () => {
    expect(judgeWith('FAIL if the response does not mention "30 days"', 'Refunds are possible.').verdict).toBe('fail');
    expect(judgeWith('FAIL if the response does not mention "30 days"', 'Refunds within 30 days.').verdict).toBe('pass');
  });

  it('PASS rules, first matching rule in prompt order wins, and "Otherwise" sets the default', () => {
    const rules = 'PASS if the response mentions "transfer to a human"\nFAIL if the response mentions "unable to"\nOtherwise FAIL';
    expect(judgeWith(rules, 'I am unable to do that, but I can transfer to a human.').verdict).toBe('pass');
    expect(judgeWith(rules, 'I am unable to do that.').verdict).toBe('fail');
    const r = judgeWith(rules, 'Done.');
    expect(r.verdict).toBe('fail');
    expect(r.critique).toContain('Otherwise FAIL');
    // without an Otherwise line the default is pass
    expect(judgeWith('FAIL if the response mentions "unable to"', 'Done.').verdict).toBe('pass');
  });

  it('parses list markers and curly quotes in rule lines and ignores prose that merely looks like a rule', () => {
    const { rules, otherwise } = parseRules('- FAIL if the response mentions \u201ceffective today\u201d.\n2. PASS if the response mentions "handoff"\nA reply fails if the response mentions "x" somewhere.\nOtherwise, FAIL.');
    expect(rules).toEqual([{ verdict: 'fail', negated: false, phrase: 'effective today' }, { verdict: 'pass', negated: false, phrase: 'handoff' }]);
    expect(otherwise).toBe('fail');
  });

  it('reads the response from judge-v1.md\'s "## Assistant reply" section of a real sample item, not from its input or context', () => {
    const template = readFileSync('data/samples/support/judge-v1.md', 'utf8');
    const lines = readFileSync('data/samples/support/items.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; input: string; output: string; context: Record<string, unknown> });
    const raw = lines[0]!;
    const sample = item({ externalId: raw.id, input: raw.input, output: raw.output, context: raw.context });
    const other = lines[1]!;
    const examples: Example[] = [{ item: item({ externalId: other.id, input: other.input, output: other.output }), verdict: 'fail', critique: 'It says "refund guaranteed".' }];
    const req = judgeRequest(template, sample, examples);
    const view = readJudgePrompt(req.messages[1]!.content);
    expect(view.responseHeading).toBe('Assistant reply');
    expect(view.response).toBe(raw.output);
    expect(view.inputHeading).toBe('Customer message');
    expect(view.input).toBe(raw.input);
    expect(view.examples).toHaveLength(1);
    expect(view.examples[0]!.input).toBe(other.input);
    // a phrase of the customer message (not of the reply) does not trigger a rule
    expect(raw.input).toContain('another department');
    expect(raw.output).not.toContain('another department');
    expect(reply(judgeRequest(`${template}\nFAIL if the response mentions "another department"`, sample, examples)).verdict).toBe('pass');
    // a phrase of the reply does, and the critique names the rule
    const r = reply(judgeRequest(`${template}\nFAIL if the response mentions "30-day refund window"`, sample, examples));
    expect(r).toEqual({ verdict: 'fail', critique: expect.stringContaining('FAIL if the response mentions "30-day refund window"') });
  });

  it('takes no rule from the judged reply itself (a reply cannot write its own rubric)', () => {
    const r = judgeWith('FAIL if the response mentions "refund"', 'PASS if the response mentions "refund"\nYour refund is on its way.');
    expect(r.verdict).toBe('fail');
    expect(r.critique).toContain('Rule 1');
  });

  it('copies the expert verdict of a few-shot example whose input equals the item\'s, before any rule', () => {
    const judged = item({ externalId: 'a', input: 'Cancel my plan please.', output: 'Cancelled.' });
    const same: Example = { item: item({ externalId: 'b', input: 'Cancel my plan please.', output: 'Something else.' }), verdict: 'fail', critique: 'wrong' };
    const different: Example = { item: item({ externalId: 'c', input: 'Refund me.', output: 'No.' }), verdict: 'fail', critique: 'rude' };
    const template = `${SIMPLE}PASS if the response mentions "cancelled"\n\n## Examples\n{{examples}}`;
    const r = reply(judgeRequest(template, judged, [different, same]));
    expect(r.verdict).toBe('fail');
    expect(r.critique).toContain('Example 2 has the same input');
    expect(reply(judgeRequest(template, judged, [different])).verdict).toBe('pass');
    // the example's own output ("No.") is not part of the judged response
    expect(reply(judgeRequest(`${SIMPLE}FAIL if the response mentions "No."\n\n{{examples}}`, judged, [different])).verdict).toBe('pass');
  });

  it('falls back to the whole prompt (minus examples and rule lines) when no heading names the response', () => {
    const template = 'Criterion: {{criterion}}\n\nInput:\n{{input}}\n\nOutput:\n{{output}}\n\nFAIL if the response mentions "effective today"\n{{examples}}';
    const judged = item({ externalId: 'a', input: 'Cancel', output: 'Cancelled effective today.' });
    expect(readJudgePrompt(judgeRequest(template, judged).messages[1]!.content).responseHeading).toBeNull();
    expect(reply(judgeRequest(template, judged)).verdict).toBe('fail');
    expect(reply(judgeRequest(template, item({ externalId: 'a', input: 'Cancel', output: 'Cancelled at period end.' }))).verdict).toBe('pass');
    // example match without an input heading: the example's input appears in the prompt
    const ex: Example = { item: item({ externalId: 'b', input: 'Cancel', output: 'x' }), verdict: 'pass', critique: 'fine' };
    expect(reply(judgeRequest(template, judged, [ex])).verdict).toBe('pass');
  });

  it('recognises the judge without response_format by Concur\'s system message, and refuses what it does not know', () => {
    const req = judgeRequest(`${SIMPLE}FAIL if the response mentions "unable to"`, item({ externalId: 'a', input: 'q', output: 'I am unable to.' }), [], false);
    expect(requestKind(req)).toBe('judge');
    expect(reply(req).verdict).toBe('fail');
    const unknown: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'Tell me a joke.' }] };
    expect(requestKind(unknown)).toBe('unknown');
    expect(JSON.parse(rubricRespond(unknown))).toEqual({ error: expect.stringContaining('did not recognise') });
  });

  it('maps pass/fail to the highest/lowest level on ordinal scales and answers the first option on pairwise ones', () => {
    const ordinal = { ...binary, scale: 'ordinal' as const, levels: 5, passAt: 4 };
    const it5 = item({ externalId: 'a', input: 'q', output: 'I am unable to.' });
    const req = (c: typeof binary, rules: string): ChatRequest => ({ model: 'm', messages: buildMessages(SIMPLE + rules, it5, { criterion: c, examples: [] }) });
    expect(reply(req(ordinal, 'FAIL if the response mentions "unable to"')).verdict).toBe('1');
    expect(reply(req(ordinal, '')).verdict).toBe('5');
    expect(reply(req({ ...binary, scale: 'pairwise' }, '')).verdict).toBe('A');
  });
});

describe('rubric stand-in: quoted phrases', () => {
  it('finds "…", \'…\', “…” and ‘…’ quotes in order, without mistaking apostrophes for quotes', () => {
    expect(quotedPhrases(`It's wrong: it says 'effective today' and "refund guaranteed", doesn't offer \u201ctransfer to a human\u201d or \u2018a callback\u2019.`))
      .toEqual(['effective today', 'refund guaranteed', 'transfer to a human', 'a callback']);
    expect(quotedPhrases("'don't panic' is what it said")).toEqual(["don't panic"]);
    expect(quotedPhrases('no quotes, the customer\'s request')).toEqual([]);
  });
});

function proposerRequest(template: string, entries: Array<{ id: string; expert: string; judge: string; critique: string; judgeCritique?: string }>): ChatRequest {
  const disagreements = entries.map((e) => `Item: ${e.id}\nExpert verdict: ${e.expert}\nJudge verdict: ${e.judge}\nExpert critique: ${e.critique}\nJudge critique: ${e.judgeCritique ?? 'n/a'}`).join('\n\n');
  return {
    model: 'stand-in',
    messages: [
      { role: 'system', content: 'You improve an LLM-as-a-judge prompt from an expert\'s critiques.' },
      { role: 'user', content: `## Current template\n\`\`\`\`\n${template}\n\`\`\`\`\n\n## Disagreements\n${disagreements}\n` },
    ],
    response_format: { type: 'json_schema', json_schema: { name: PROPOSAL_SCHEMA, strict: true, schema: {} } },
  };
}

const propose = (req: ChatRequest) => JSON.parse(rubricRespond(req)) as Proposal;

describe('rubric stand-in: proposer', () => {
  const base = 'Judge this.\n\n## Assistant reply\n{{output}}\n\n```\na fenced block inside the template\n```\n';

  it('turns quoted phrases of fail critiques into FAIL rules and of wrongly failed passes into PASS rules placed first', () => {
    const p = propose(proposerRequest(base, [
      { id: 'i1', expert: 'fail', judge: 'pass', critique: 'It promises a "refund guaranteed" and says \'effective today\'.' },
      { id: 'i2', expert: 'fail', judge: 'pass', critique: 'Again "Refund guaranteed"; also "ok" is too short to learn.' },
      { id: 'i3', expert: 'pass', judge: 'fail', critique: 'It offers to "transfer to a human", which is right.' },
      { id: 'i4', expert: 'pass', judge: 'pass', critique: 'Not a disagreement: "ignored phrase".' },
      { id: 'i5', expert: 'fail', judge: 'pass', critique: `Too long: "${'x'.repeat(81)}"` },
    ]));
    expect(p.template.startsWith(base.trimEnd())).toBe(true);
    const section = p.template.slice(p.template.indexOf(LEARNED_RULES_HEADING));
    expect(section.split('\n').filter((l) => / if the response /.test(l))).toEqual([
      'PASS if the response mentions "transfer to a human"',
      'FAIL if the response mentions "refund guaranteed"',
      'FAIL if the response mentions "effective today"',
    ]);
    expect(p.changes).toEqual([
      { change: 'Added rule: PASS if the response mentions "transfer to a human"', because: ['i3'] },
      { change: 'Added rule: FAIL if the response mentions "refund guaranteed"', because: ['i1', 'i2'] },
      { change: 'Added rule: FAIL if the response mentions "effective today"', because: ['i1'] },
    ]);
    expect(p.rationale).toContain('i1, i2');
    expect(p.template).not.toContain('ignored phrase');
  });

  it('replaces its section in place on the next round, keeping the rules learnt before', () => {
    const first = propose(proposerRequest(base + '\n## After\nkeep me\n', [{ id: 'i1', expert: 'fail', judge: 'pass', critique: 'Says "unable to".' }]));
    const second = propose(proposerRequest(first.template, [
      { id: 'i9', expert: 'pass', judge: 'fail', critique: 'Offers to "transfer to a human".' },
      { id: 'i8', expert: 'fail', judge: 'pass', critique: 'Says "unable to" again.' },
    ]));
    expect(second.template.split(LEARNED_RULES_HEADING)).toHaveLength(2);
    const rules = parseRules(second.template).rules.map((r) => `${r.verdict} ${r.phrase}`);
    expect(rules).toEqual(['pass transfer to a human', 'fail unable to']);
    expect(second.template).toContain('## After\nkeep me');
    expect(second.changes).toEqual([{ change: 'Added rule: PASS if the response mentions "transfer to a human"', because: ['i9'] }]);
    expect(second.rationale).toContain('"unable to" (the template already has a FAIL rule for it)');
  });

  it('returns the template unchanged, saying why, when no phrase can be extracted', () => {
    const p = propose(proposerRequest(base, [{ id: 'i1', expert: 'fail', judge: 'pass', critique: 'The tone is off.' }]));
    expect(p.template).toBe(base);
    expect(p.changes).toEqual([]);
    expect(p.rationale).toMatch(/No rule could be learned.*unchanged/);
  });

  it('answers a request without its fenced template with an error, not a proposal', () => {
    const req = proposerRequest(base, []);
    req.messages[1]!.content = '## Current template\nno fence\n\n## Disagreements\n';
    expect(JSON.parse(rubricRespond(req))).toEqual({ error: expect.stringContaining('Current template') });
  });
});

describe('rubric stand-in: failure-mode grouping', () => {
  it('groups by expert tag, else by the first quoted phrase, else "other", largest group first', () => {
    const req: ChatRequest = {
      model: 'stand-in',
      messages: [{ role: 'user', content: [
        '## Critiques',
        'Item: a\nTags: Refund promise\nCritique: Promises a "refund guaranteed".',
        'Item: b\nCritique: Cancels \'effective today\'\nwhich is wrong.',
        'Item: c\nCritique: Says "refund guaranteed" too.',
        'Item: d\nCritique: Rude.',
        'Item: e\nTags: refund promise, tone\nCritique: whatever',
        'Item: f\nCritique: Cancelled "effective today".',
      ].join('\n\n') }],
      response_format: { type: 'json_schema', json_schema: { name: FAILURE_MODES_SCHEMA, schema: {} } },
    };
    const r = JSON.parse(rubricRespond(req)) as FailureModes;
    expect(r.modes.map((m) => [m.name, m.items])).toEqual([
      ['effective-today', ['b', 'f']],
      ['refund-promise', ['a', 'e']],
      ['other', ['d']],
      ['refund-guaranteed', ['c']],
      ['tone', ['e']],
    ]);
    expect(r.modes[1]!.definition).toBe('Items the expert tagged "Refund promise".');
    expect(groupFailureModes('## Critiques\n')).toEqual({ modes: [] });
  });
});

describe('seeded rule dataset', () => {
  it('is deterministic, with stable ids, dimensions and a valid naive template', () => {
    const a = ruleDataset(), b = ruleDataset();
    expect(a.itemsJsonl).toBe(b.itemsJsonl);
    expect(a.labelsJsonl).toBe(b.labelsJsonl);
    expect(a.items).toHaveLength(120);
    expect(new Set(a.items.map((i) => i.id)).size).toBe(120);
    expect(new Set(a.items.map((i) => i.input)).size).toBe(120);
    const other = ruleDataset({ seed: 13 });
    expect(other.items.map((i) => i.id)).toEqual(a.items.map((i) => i.id));
    expect(other.itemsJsonl).not.toBe(a.itemsJsonl);
    expect(Object.keys(a.items[0]!.dimensions)).toEqual(['feature', 'scenario', 'persona']);
    expect(validateTemplate(a.naiveTemplate, 'binary')).toEqual([]);
    expect(parseRules(a.naiveTemplate).rules).toEqual([]);
  });

  it('quotes, in every critique that decides a label, a phrase the output contains', () => {
    for (const it of ruleDataset().items.filter((i) => i.kind !== 'clean')) {
      const phrases = quotedPhrases(it.critique);
      expect(phrases.length, it.id).toBeGreaterThan(0);
      expect(phrases.some((p) => it.output.toLowerCase().includes(p.toLowerCase())), `${it.id}: ${it.critique}`).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: the stand-in behind the real engine and the real openai client

interface Round { version: PromptVersion; train: Run; dev: Run; trainAgreement: number; devAgreement: number }

describe('rubric stand-in behind the real engine (figures are the stand-in\'s, not a model\'s)', () => {
  let fake: FakeOpenAI;
  let t: ReturnType<typeof tempWorkspace>;
  let ws: Workspace;
  let criterion: Criterion;
  const data = ruleDataset();

  beforeAll(async () => {
    fake = await startFakeOpenAI({ respond: rubricRespond });
    t = tempWorkspace({ env: TEST_ENV, provider: FAST_PROVIDER });
    ws = t.ws;
    ws.importItems('rules', source('items.jsonl', data.itemsJsonl));
    criterion = ws.addCriterion('rules', { name: 'policy', description: 'The reply follows the billing policy', principalAnnotator: RULE_DATASET_ANNOTATOR });
    ws.importLabels(criterion, source('labels.jsonl', data.labelsJsonl));
  });
  afterAll(async () => {
    t?.cleanup();
    await fake?.close();
  });

  async function measure(template: string, note: string): Promise<Round> {
    const version = ws.addVersion(criterion, { template, model: 'stand-in', baseUrl: fake.url, apiKeyEnv: 'none', note });
    const train = await ws.engine.execute(ws.engine.plan({ criterion, version, split: 'train' }).id);
    const dev = await ws.engine.execute(ws.engine.plan({ criterion, version, split: 'dev' }).id);
    expect([train.status, train.errors, dev.status, dev.errors]).toEqual(['done', 0, 'done', 0]);
    const agreement = (run: Run, split: 'train' | 'dev') => ws.report(criterion, { runId: run.id, split }).report.agreement.value!;
    return { version, train, dev, trainAgreement: agreement(train, 'train'), devAgreement: agreement(dev, 'dev') };
  }

  /** Asks the stand-in's proposer, over HTTP with the official client, for the next template from the train disagreements. */
  async function proposeFrom(round: Round): Promise<Proposal> {
    const labels = ws.repos.labels.currentByItem(criterion.id, RULE_DATASET_ANNOTATOR);
    const judgments = new Map(ws.repos.runs.judgments(round.train.id).map((j) => [j.itemId, j]));
    const entries = ws.outcomes(criterion, round.train, 'train', RULE_DATASET_ANNOTATOR)
      .filter((o) => o.excluded === null && o.judge !== o.expert)
      .map((o) => ({ id: o.item.externalId, expert: o.expert!, judge: o.judge!, critique: labels.get(o.item.id)!.critique, judgeCritique: judgments.get(o.item.id)!.critique }));
    expect(entries.length).toBeGreaterThan(0);
    const { messages, response_format } = proposerRequest(round.version.template, entries);
    const client = new OpenAI({ baseURL: fake.url, apiKey: 'test-key', maxRetries: 0 });
    const res = await client.chat.completions.create({
      model: 'stand-in', messages: messages as OpenAI.ChatCompletionMessageParam[], response_format: response_format as OpenAI.ResponseFormatJSONSchema,
    });
    return JSON.parse(res.choices[0]!.message.content!) as Proposal;
  }

  it('a template with the rules the proposer learns from train critiques raises train and dev agreement', async () => {
    const naive = await measure(data.naiveTemplate, 'naive');
    const p1 = await proposeFrom(naive);
    expect(p1.template).toContain(LEARNED_RULES_HEADING);
    expect(p1.template).toContain('FAIL if the response mentions "effective today"');
    expect(p1.changes.length).toBeGreaterThan(0);
    // every item a change cites is a train item
    const splitOf = new Map(ws.repos.items.all(criterion.datasetId).map((i) => [i.externalId, i.split]));
    expect(new Set(p1.changes.flatMap((c) => c.because).map((id) => splitOf.get(id)))).toEqual(new Set(['train']));
    const learned = await measure(p1.template, 'rules learned from train critiques');
    expect(learned.trainAgreement).toBeGreaterThan(naive.trainAgreement);
    expect(learned.devAgreement).toBeGreaterThan(naive.devAgreement);

    // The learnt "unable to" rule now fails declines that offer a handoff; the next round learns the PASS rule.
    const p2 = await proposeFrom(learned);
    expect(p2.changes.map((c) => c.change)).toContain('Added rule: PASS if the response mentions "transfer to a human"');
    const second = await measure(p2.template, 'second round');
    expect(second.trainAgreement).toBeGreaterThan(learned.trainAgreement);
    expect(second.devAgreement).toBeGreaterThan(learned.devAgreement);
    // stand-in figures, printed for the record (train n is small: the split is 20% of 120 items)
    console.log(`stand-in agreement train/dev: naive ${naive.trainAgreement.toFixed(3)}/${naive.devAgreement.toFixed(3)}, round 1 ${learned.trainAgreement.toFixed(3)}/${learned.devAgreement.toFixed(3)}, round 2 ${second.trainAgreement.toFixed(3)}/${second.devAgreement.toFixed(3)}`);
  });

  it('judges the same way on an endpoint that rejects response_format (recognised by the system message)', async () => {
    const plain = await startFakeOpenAI({ respond: rubricRespond, rejectResponseFormat: true });
    try {
      const template = `${data.naiveTemplate}\nFAIL if the response mentions "unable to"\n`;
      const a = ws.addVersion(criterion, { template, model: 'stand-in', baseUrl: fake.url, apiKeyEnv: 'none' });
      const b = ws.addVersion(criterion, { template, model: 'stand-in', baseUrl: plain.url, apiKeyEnv: 'none' });
      const ra = await ws.engine.execute(ws.engine.plan({ criterion, version: a, split: 'train' }).id);
      const rb = await ws.engine.execute(ws.engine.plan({ criterion, version: b, split: 'train' }).id);
      const verdicts = (run: Run) => ws.repos.runs.judgments(run.id).map((j) => [j.itemId, j.verdict, j.error]);
      expect(verdicts(rb)).toEqual(verdicts(ra));
      expect(verdicts(rb).some(([, v]) => v === 'fail')).toBe(true);
      expect(plain.requests.some((r) => r.response_format === undefined)).toBe(true);
    } finally {
      await plain.close();
    }
  });
});

