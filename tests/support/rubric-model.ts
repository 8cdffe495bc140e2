/**
 * The rubric-following stand-in model: a pure, deterministic `respond()` for the fake OpenAI
 * server (tests/support/openai-server.ts) that answers three kinds of request the way a very
 * literal model would — the judge, the optimizer's proposer and the failure-mode grouper.
 *
 * It exists to test machinery (selection, budgets, splits, resumption, records), not judgment:
 * every figure produced with it is the stand-in's, never a real model's. The protocol each kind
 * follows is written down in docs/stand-in.md; keep the two in step.
 */
import type { ChatRequest } from './openai-server.ts';
import { verdictSchema } from '../../server/judge/parse.ts';
import { formatInstruction } from '../../shared/template.ts';

/** The schema name Concur's judge sends (server/judge/parse.ts), read from the real code so the two cannot drift. */
export const JUDGE_SCHEMA = verdictSchema(['pass', 'fail']).json_schema.name;
export const PROPOSAL_SCHEMA = 'concur_proposal';
export const FAILURE_MODES_SCHEMA = 'concur_failure_modes';
export const LEARNED_RULES_HEADING = "## Rules learned from the expert's critiques";

/**
 * The start of the system message every Concur judge call carries (shared/template.ts
 * formatInstruction, up to the JSON shape), used when an endpoint that rejects response_format
 * made the judge drop the schema name.
 */
const JUDGE_SYSTEM_PREFIX = (() => {
  const full = formatInstruction({ name: 'x', description: '', scale: 'binary', levels: null, passAt: null });
  return full.slice(0, full.indexOf('{'));
})();

export type RequestKind = 'judge' | 'proposer' | 'failure-modes' | 'unknown';

// ---------------------------------------------------------------------------------------------
// Text helpers

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  }
  return '';
}

function messagesOf(req: ChatRequest, role: string): string {
  return (Array.isArray(req.messages) ? req.messages : []).filter((m) => m && m.role === role).map((m) => textOf(m.content)).join('\n\n');
}

/** Lowercase, straight quotes, single spaces: how "mentions" compares text. */
export function normalizeForMatch(s: string): string {
  return s.replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** The json_schema name a request asks for (how the stand-in tells judge, proposer and grouping calls apart). */
export function schemaName(req: ChatRequest): string | undefined {
  const rf = req.response_format as { json_schema?: { name?: unknown } } | undefined;
  const name = rf && typeof rf === 'object' ? rf.json_schema?.name : undefined;
  return typeof name === 'string' ? name : undefined;
}

const heading = (title: string) => new RegExp(`^#{1,6}\\s+${title}\\s*#*\\s*$`, 'im');
const CURRENT_TEMPLATE = heading('Current template');
const DISAGREEMENTS = heading('Disagreements');
const CRITIQUES = heading('Critiques');

/** Which protocol a request follows: by its response_format schema name, else by its layout. */
export function requestKind(req: ChatRequest): RequestKind {
  const name = schemaName(req);
  if (name === JUDGE_SCHEMA) return 'judge';
  if (name === PROPOSAL_SCHEMA) return 'proposer';
  if (name === FAILURE_MODES_SCHEMA) return 'failure-modes';
  if (name !== undefined) return 'unknown';
  if (messagesOf(req, 'system').trimStart().startsWith(JUDGE_SYSTEM_PREFIX)) return 'judge';
  const user = messagesOf(req, 'user');
  if (CURRENT_TEMPLATE.test(user) && DISAGREEMENTS.test(user)) return 'proposer';
  if (CRITIQUES.test(user)) return 'failure-modes';
  return 'unknown';
}

/**
 * The stand-in's reply (the message content) to a chat request. Deterministic: the same request
 * always gets the same reply. A request it does not recognise gets `{"error": "..."}`, which no
 * caller can mistake for a verdict, a proposal or a grouping.
 */
export function rubricRespond(req: ChatRequest): string {
  const kind = requestKind(req);
  const user = messagesOf(req, 'user');
  switch (kind) {
    case 'judge': return JSON.stringify(judge(user, verdictOptionsOf(req)));
    case 'proposer': return JSON.stringify(propose(user));
    case 'failure-modes': return JSON.stringify(groupFailureModes(user));
    default: return JSON.stringify({ error: `the rubric stand-in did not recognise this request${schemaName(req) ? ` (response_format schema "${schemaName(req)}")` : ''}; see docs/stand-in.md` });
  }
}

// ---------------------------------------------------------------------------------------------
// Judge

export interface Rule {
  verdict: 'pass' | 'fail';
  /** true for "does not mention" */
  negated: boolean;
  phrase: string;
}

const RULE_LINE = /^\s*(?:[-*+]\s+|\d+[.)]\s+)?(PASS|FAIL)\s+if\s+the\s+response\s+(mentions|does\s+not\s+mention)\s+(?:"([^"]+)"|\u201c([^\u201d]+)\u201d)\s*\.?\s*$/i;
const OTHERWISE_LINE = /^\s*(?:[-*+]\s+)?Otherwise,?\s+(PASS|FAIL)\s*\.?\s*$/i;

export function parseRuleLine(line: string): Rule | null {
  const m = RULE_LINE.exec(line);
  if (!m) return null;
  return { verdict: m[1]!.toLowerCase() as Rule['verdict'], negated: !/^mentions$/i.test(m[2]!), phrase: (m[3] ?? m[4])! };
}

export function ruleText(rule: Rule): string {
  return `${rule.verdict.toUpperCase()} if the response ${rule.negated ? 'does not mention' : 'mentions'} "${rule.phrase}"`;
}

/** The rule lines of a text in order, and the first `Otherwise PASS|FAIL` line (default pass). */
export function parseRules(text: string): { rules: Rule[]; otherwise: 'pass' | 'fail'; otherwiseStated: boolean } {
  const rules: Rule[] = [];
  let otherwise: 'pass' | 'fail' | null = null;
  for (const line of text.split('\n')) {
    const rule = parseRuleLine(line);
    if (rule) { rules.push(rule); continue; }
    const o = OTHERWISE_LINE.exec(line);
    if (o && otherwise === null) otherwise = o[1]!.toLowerCase() as 'pass' | 'fail';
  }
  return { rules, otherwise: otherwise ?? 'pass', otherwiseStated: otherwise !== null };
}

export interface ExampleBlock { number: number; input: string; verdict: string; start: number; end: number }

const EXAMPLE_START = /^### Example (\d+)[ \t]*$/gm;

/**
 * Concur's few-shot blocks (shared/template.ts renderExamples): from a `### Example N` line to
 * the end of its `Expert verdict: X` line. `input` is the text between `Input:` and the blank
 * line before `Output:` (or `Response A:` for pairwise).
 */
export function exampleBlocks(text: string): ExampleBlock[] {
  const blocks: ExampleBlock[] = [];
  for (const m of text.matchAll(EXAMPLE_START)) {
    const start = m.index!;
    if (blocks.length && start < blocks[blocks.length - 1]!.end) continue;
    const verdictLine = /^Expert verdict:[ \t]*(.*)$/m;
    const rest = text.slice(start);
    const v = verdictLine.exec(rest);
    if (!v) continue;
    const body = rest.slice(0, v.index);
    const inputMatch = /^Input:\n([\s\S]*?)\n\n(?:Output|Response A):\n/m.exec(body);
    blocks.push({ number: Number(m[1]), input: inputMatch ? inputMatch[1]! : '', verdict: v[1]!.trim(), start, end: start + v.index + v[0].length });
  }
  return blocks;
}

function withoutRanges(text: string, ranges: Array<{ start: number; end: number }>): string {
  let out = '', at = 0;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    if (r.start < at) continue;
    out += text.slice(at, r.start);
    at = r.end;
  }
  return out + text.slice(at);
}

interface Section { title: string; start: number; bodyStart: number; end: number }

/** Markdown headings; each section runs to the next heading of the same or a higher level. */
function sections(text: string): Section[] {
  const found: Array<{ level: number; title: string; start: number; bodyStart: number }> = [];
  for (const m of text.matchAll(/^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$/gm)) {
    found.push({ level: m[1]!.length, title: m[2]!, start: m.index!, bodyStart: Math.min(text.length, m.index! + m[0].length + 1) });
  }
  return found.map((h, i) => {
    const next = found.slice(i + 1).find((o) => o.level <= h.level);
    return { title: h.title, start: h.start, bodyStart: h.bodyStart, end: next ? next.start : text.length };
  });
}

export interface JudgeView {
  /** the text the rules are applied to */
  response: string;
  /** the section the response was read from, or null when the fallback (whole prompt) was used */
  responseHeading: string | null;
  /** the judged item's input, or null when no heading names it */
  input: string | null;
  inputHeading: string | null;
  /** the text rules are read from: the prompt without examples, response and input sections */
  instructions: string;
  examples: ExampleBlock[];
}

/** How the stand-in reads a rendered judge prompt (see docs/stand-in.md, "Judge"). */
export function readJudgePrompt(user: string): JudgeView {
  const examples = exampleBlocks(user);
  const text = withoutRanges(user, examples);
  const all = sections(text);
  const responseSection = all.find((s) => /reply|response|output/i.test(s.title)) ?? null;
  const inputSection = all.find((s) => s !== responseSection && /message|input|request/i.test(s.title)) ?? null;
  const cut = [responseSection, inputSection].filter((s): s is Section => s !== null).map((s) => ({ start: s.bodyStart, end: s.end }));
  const instructions = withoutRanges(text, cut);
  const response = responseSection
    ? text.slice(responseSection.bodyStart, responseSection.end).trim()
    : text.split('\n').filter((l) => !parseRuleLine(l) && !OTHERWISE_LINE.test(l)).join('\n').trim();
  return {
    response, responseHeading: responseSection?.title ?? null,
    input: inputSection ? text.slice(inputSection.bodyStart, inputSection.end).trim() : null, inputHeading: inputSection?.title ?? null,
    instructions: responseSection ? instructions : text, examples,
  };
}

/** The binary decision of the stand-in judge and the reason it gives. */
export function decide(user: string): { verdict: 'pass' | 'fail'; reason: string } {
  const view = readJudgePrompt(user);
  const stripped = withoutRanges(user, view.examples);
  for (const ex of view.examples) {
    const exInput = ex.input.trim();
    if (!exInput) continue;
    const same = view.input !== null ? view.input === exInput : stripped.includes(exInput);
    const verdict = ex.verdict.toLowerCase();
    if (same && (verdict === 'pass' || verdict === 'fail')) {
      return { verdict, reason: `Example ${ex.number} has the same input as this item, so I follow its expert verdict (${verdict}).` };
    }
  }
  const { rules, otherwise, otherwiseStated } = parseRules(view.instructions);
  const response = normalizeForMatch(view.response);
  for (const [i, rule] of rules.entries()) {
    const mentions = response.includes(normalizeForMatch(rule.phrase));
    if (mentions !== rule.negated) {
      return { verdict: rule.verdict, reason: `Rule ${i + 1} decided: ${ruleText(rule)} — the response ${mentions ? 'mentions' : 'does not mention'} "${rule.phrase}".` };
    }
  }
  return {
    verdict: otherwise,
    reason: rules.length
      ? `None of the ${rules.length} rules matched, so ${otherwiseStated ? `the "Otherwise ${otherwise.toUpperCase()}" line` : 'the default'} decided: ${otherwise}.`
      : `The prompt states no rules, so ${otherwiseStated ? `the "Otherwise ${otherwise.toUpperCase()}" line` : 'the default'} decided: ${otherwise}.`,
  };
}

/** The verdict values the request allows: the schema's enum, else the system message's `"verdict": "a" | "b"`. */
function verdictOptionsOf(req: ChatRequest): string[] {
  const rf = req.response_format as { json_schema?: { schema?: { properties?: { verdict?: { enum?: unknown } } } } } | undefined;
  const fromSchema = rf?.json_schema?.schema?.properties?.verdict?.enum;
  if (Array.isArray(fromSchema) && fromSchema.every((v) => typeof v === 'string') && fromSchema.length) return fromSchema as string[];
  const m = /"verdict":\s*((?:"[^"]*"\s*\|?\s*)+)/.exec(messagesOf(req, 'system'));
  if (m) return [...m[1]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]!);
  return ['pass', 'fail'];
}

/** Binary: the decision itself. Ordinal (numeric options): pass → highest, fail → lowest. Otherwise the first option. */
function judge(user: string, options: string[]): { critique: string; verdict: string } {
  const { verdict, reason } = decide(user);
  if (options.includes('pass') && options.includes('fail')) return { critique: reason, verdict };
  if (options.length && options.every((o) => /^\d+$/.test(o))) {
    const sorted = [...options].sort((a, b) => Number(a) - Number(b));
    return { critique: `${reason} On this ordinal scale ${verdict} maps to ${verdict === 'pass' ? 'the highest' : 'the lowest'} level.`, verdict: verdict === 'pass' ? sorted[sorted.length - 1]! : sorted[0]! };
  }
  return { critique: `The rubric stand-in follows rules only on pass/fail scales; it answers the first option (${options[0] ?? 'none'}).`, verdict: options[0] ?? verdict };
}

// ---------------------------------------------------------------------------------------------
// Quoted phrases

const QUOTED = [
  /"([^"\n]+)"/g,
  /\u201c([^\u201d\n]+)\u201d/g,
  // a single quote opens only where no letter or digit precedes it and closes only where none follows
  // (so the apostrophes in "it's" and "don't" are not quotes)
  /(?<![\p{L}\p{N}])'([^\n]+?)'(?![\p{L}\p{N}])/gu,
  /(?<![\p{L}\p{N}])\u2018([^\n]+?)\u2019(?![\p{L}\p{N}])/gu,
];

/** The phrases a text quotes ("…", “…”, '…', ‘…’), in order of appearance, trimmed and deduplicated (case-insensitively). */
export function quotedPhrases(text: string): string[] {
  const found: Array<{ at: number; phrase: string }> = [];
  for (const re of QUOTED) for (const m of text.matchAll(re)) found.push({ at: m.index!, phrase: m[1]!.trim() });
  found.sort((a, b) => a.at - b.at);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const { phrase } of found) {
    const key = normalizeForMatch(phrase);
    if (!phrase || seen.has(key)) continue;
    seen.add(key);
    out.push(phrase);
  }
  return out;
}

/** Whether a quoted phrase can become a rule: 3 to 80 characters and no double quote. */
export function usablePhrase(phrase: string): boolean {
  return phrase.length >= 3 && phrase.length <= 80 && !/["\u201c\u201d]/.test(phrase);
}

// ---------------------------------------------------------------------------------------------
// Entries (`Item: <id>` followed by `Key: value` fields)

type Fields = Map<string, string>;

function parseEntries(text: string, keys: readonly string[]): Array<{ id: string; fields: Fields }> {
  const keyRe = new RegExp(`^(${keys.map((k) => k.replace(/ /g, '\\s+')).join('|')}):[ \\t]*(.*)$`, 'i');
  const itemRe = /^(?:#{1,6}[ \t]+|[-*+][ \t]+)?Item:[ \t]*(.+?)[ \t]*$/i;
  const entries: Array<{ id: string; fields: Fields }> = [];
  let current: { id: string; fields: Fields } | null = null;
  let field: string | null = null;
  for (const line of text.split('\n')) {
    const item = itemRe.exec(line);
    if (item) {
      current = { id: item[1]!, fields: new Map() };
      entries.push(current);
      field = null;
      continue;
    }
    if (!current) continue;
    if (/^#{1,6}[ \t]/.test(line)) { current = null; field = null; continue; }
    const kv = keyRe.exec(line.replace(/^[ \t]*(?:[-*+][ \t]+)?/, ''));
    if (kv) {
      field = kv[1]!.replace(/\s+/g, ' ').toLowerCase();
      current.fields.set(field, kv[2]!);
    } else if (field) {
      current.fields.set(field, `${current.fields.get(field)}\n${line}`);
    }
  }
  for (const e of entries) for (const [k, v] of e.fields) e.fields.set(k, v.trim());
  return entries;
}

function sectionBody(text: string, title: RegExp): string | null {
  const m = title.exec(text);
  if (!m) return null;
  const level = /^#+/.exec(m[0])![0].length;
  const start = m.index + m[0].length;
  const next = new RegExp(`^#{1,${level}}[ \\t]`, 'm').exec(text.slice(start));
  return text.slice(start, next ? start + next.index : text.length);
}

// ---------------------------------------------------------------------------------------------
// Proposer

export interface Proposal { template: string; rationale: string; changes: Array<{ change: string; because: string[] }> }

/**
 * The template inside `## Current template`: the first fenced block after that heading (a line of
 * 3 or more backticks or tildes, optionally with an info string), closed by a line that is exactly
 * the same fence. `rest` is the message without that heading and block, where the other sections are read.
 */
export function currentTemplate(user: string): { template: string; rest: string } | null {
  const head = CURRENT_TEMPLATE.exec(user);
  if (!head) return null;
  const from = head.index + head[0].length;
  const open = /^[ \t]*(`{3,}|~{3,})[^\n`]*$/m.exec(user.slice(from));
  if (!open) return null;
  const fence = open[1]!;
  const bodyStart = from + open.index + open[0].length + 1;
  const lines = user.slice(bodyStart).split('\n');
  const close = lines.findIndex((l) => l.trim() === fence);
  if (close < 0) return null;
  const template = lines.slice(0, close).join('\n');
  const end = bodyStart + lines.slice(0, close + 1).join('\n').length;
  return { template, rest: user.slice(0, head.index) + user.slice(end) };
}

const DISAGREEMENT_KEYS = ['Expert verdict', 'Judge verdict', 'Expert critique', 'Judge critique', 'Input', 'Output'] as const;

export interface Disagreement { id: string; expert: string; judge: string; critique: string }

export function parseDisagreements(user: string): Disagreement[] {
  const body = sectionBody(currentTemplate(user)?.rest ?? user, DISAGREEMENTS) ?? '';
  return parseEntries(body, DISAGREEMENT_KEYS).map(({ id, fields }) => ({
    id,
    expert: (fields.get('expert verdict') ?? '').toLowerCase(),
    judge: (fields.get('judge verdict') ?? '').toLowerCase(),
    critique: fields.get('expert critique') ?? '',
  }));
}

interface Learned { rule: Rule; because: string[] }

/** Replaces (in place) or appends the learned-rules section, keeping the rules already in it. */
export function withLearnedRules(template: string, learned: Rule[]): string {
  const lines = template.split('\n');
  const startLine = lines.findIndex((l) => l.trim() === LEARNED_RULES_HEADING);
  let before = lines, after: string[] = [], earlier: Rule[] = [];
  if (startLine >= 0) {
    let endLine = lines.findIndex((l, i) => i > startLine && /^#{1,2}[ \t]/.test(l));
    if (endLine < 0) endLine = lines.length;
    earlier = lines.slice(startLine + 1, endLine).map(parseRuleLine).filter((r): r is Rule => r !== null);
    before = lines.slice(0, startLine);
    after = lines.slice(endLine);
  }
  const all = [...earlier, ...learned];
  const ordered = [...all.filter((r) => r.verdict === 'pass'), ...all.filter((r) => r.verdict !== 'pass')];
  const section = [LEARNED_RULES_HEADING, 'Apply these rules, learned from the expert\'s critiques, to the response:', ...ordered.map(ruleText)];
  if (startLine >= 0) return [...before, ...section, ...(after.length ? ['', ...after] : [''])].join('\n');
  return `${template.replace(/\s+$/, '')}\n\n${section.join('\n')}\n`;
}

/**
 * Turns the expert critiques of the disagreements into rules (docs/stand-in.md, "Proposer"):
 * expert fail → `FAIL if the response mentions "<quoted phrase>"`; expert pass that the judge
 * failed → `PASS if …`, placed before the FAIL rules.
 */
export function propose(user: string): Proposal | { error: string } {
  const current = currentTemplate(user);
  if (current === null) return { error: 'no fenced template under "## Current template"; see docs/stand-in.md' };
  const { template, rest } = current;
  const disagreements = parseDisagreements(rest).filter((d) => (d.expert === 'pass' || d.expert === 'fail') && d.judge !== d.expert);
  const existing = parseRules(template).rules;
  const existingKey = new Map(existing.map((r) => [normalizeForMatch(r.phrase), r.verdict]));
  const byPhrase = new Map<string, { phrase: string; pass: string[]; fail: string[] }>();
  for (const d of disagreements) {
    if (d.expert === 'pass' && d.judge !== 'fail') continue;
    for (const phrase of quotedPhrases(d.critique).filter(usablePhrase)) {
      const key = normalizeForMatch(phrase);
      const entry = byPhrase.get(key) ?? { phrase, pass: [], fail: [] };
      const list = d.expert === 'fail' ? entry.fail : entry.pass;
      if (!list.includes(d.id)) list.push(d.id);
      byPhrase.set(key, entry);
    }
  }
  const learned: Learned[] = [];
  const skipped: string[] = [];
  for (const [key, e] of byPhrase) {
    // conflicting evidence: the verdict more disagreements support wins; a tie goes to fail
    const verdict: Rule['verdict'] = e.pass.length > e.fail.length ? 'pass' : 'fail';
    const because = verdict === 'pass' ? e.pass : e.fail;
    const had = existingKey.get(key);
    if (had !== undefined) { skipped.push(`"${e.phrase}" (the template already has a ${had.toUpperCase()} rule for it)`); continue; }
    learned.push({ rule: { verdict, negated: false, phrase: e.phrase }, because });
  }
  learned.sort((a, b) => (a.rule.verdict === b.rule.verdict ? 0 : a.rule.verdict === 'pass' ? -1 : 1));
  if (!learned.length) {
    const why = disagreements.length
      ? `none of the expert critiques of the ${disagreements.length} disagreements quotes a new usable phrase${skipped.length ? ` (skipped ${skipped.join(', ')})` : ''}`
      : 'the request lists no disagreements';
    return { template, rationale: `No rule could be learned: ${why}. The template is unchanged.`, changes: [] };
  }
  const changes = learned.map((l) => ({ change: `Added rule: ${ruleText(l.rule)}`, because: l.because }));
  const reasons = learned.map((l) => {
    const many = l.because.length > 1;
    const whose = l.rule.verdict === 'pass' ? 'items the expert passed and the judge failed' : 'items the expert failed';
    return `${ruleText(l.rule)}: the expert critique${many ? 's' : ''} of ${l.because.join(', ')} (${whose}) quote${many ? '' : 's'} it.`;
  });
  const plural = learned.length === 1 ? '' : 's';
  const rationale = [
    `Learned ${learned.length} rule${plural} from the expert critiques of ${disagreements.length} disagreements:`,
    ...reasons,
    ...(skipped.length ? [`Skipped ${skipped.join(', ')}.`] : []),
  ].join('\n');
  return { template: withLearnedRules(template, learned.map((l) => l.rule)), rationale, changes };
}

// ---------------------------------------------------------------------------------------------
// Failure-mode grouping

export interface FailureModes { modes: Array<{ name: string; definition: string; items: string[] }> }

const STOPWORDS = new Set(['a', 'an', 'the', 'to', 'of', 'and', 'or', 'is', 'it', 'its', 'we', 'you', 'your', 'i', 'be', 'for', 'on', 'in', 'at', 'by', 'with', 'that', 'this']);

/** A short kebab-case name: lowercase words (letters and digits), stopwords dropped, at most four. */
export function kebabName(text: string): string {
  const words = text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w && !STOPWORDS.has(w));
  return words.slice(0, 4).join('-');
}

/** Groups critiques by expert tag, else by the first quoted phrase, else "other" (docs/stand-in.md, "Failure modes"). */
export function groupFailureModes(user: string): FailureModes {
  const groups = new Map<string, { definition: string; items: string[] }>();
  const add = (name: string, definition: string, id: string) => {
    const g = groups.get(name) ?? { definition, items: [] };
    if (!g.items.includes(id)) g.items.push(id);
    groups.set(name, g);
  };
  for (const { id, fields } of parseEntries(user, ['Critique', 'Tags'])) {
    const tags = (fields.get('tags') ?? '').split(',').map((t) => t.trim()).filter((t) => kebabName(t));
    if (tags.length) {
      for (const tag of tags) add(kebabName(tag), `Items the expert tagged "${tag}".`, id);
      continue;
    }
    const phrase = quotedPhrases(fields.get('critique') ?? '').find((p) => kebabName(p));
    if (phrase) add(kebabName(phrase), `Critiques that quote "${phrase}".`, id);
    else add('other', 'Critiques with no tag and no quoted phrase.', id);
  }
  const modes = [...groups].map(([name, g]) => ({ name, definition: g.definition, items: g.items }));
  modes.sort((a, b) => b.items.length - a.items.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { modes };
}
