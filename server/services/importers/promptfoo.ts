import { InputError, isObject, ProblemCollector, type SourceRecord } from '../records.ts';
import { asText, dedupeGeneratedIds, jsonArrayElementLines, scalarDimensions, stableHash, type ConvertedImport } from './common.ts';

export interface PromptfooOptions {
  /**
   * Which llm-rubric assertion is the judge, when a row has several: its `metric` name or its
   * exact rubric `value`. Not needed when every row has at most one llm-rubric assertion.
   */
  rubric?: string;
  /** Skip rows whose provider call failed (no response.output) with a warning, instead of rejecting the file. */
  skipErrors?: boolean;
}

/** Grader failures promptfoo reports as a failed llm-rubric: imported as judgment errors, never as "fail". */
const GRADER_FAILURE = [/^Could not extract JSON from llm-rubric response/i, /^llm-rubric produced malformed response/i, /^No output$/];

/**
 * Converts promptfoo's `promptfoo eval -o results.json` output (results format version 2/3/4:
 * `{evalId, results: {version, results: [...], prompts, stats}, config, ...}`; a bare
 * EvaluateSummary `{version, results: [...]}` is accepted too) into Concur records.
 *
 * Each result row (one test case × prompt × provider) becomes an item:
 * - id: `pf-` + a stable hash of provider id, rendered prompt, vars and output, so re-importing
 *   a re-run attaches new verdicts to the same items while a changed output is a new item;
 * - input: the rendered prompt (`prompt.raw`), or the vars as JSON if there is none;
 * - output: `response.output` (non-text outputs as JSON; an empty answer is kept and judged);
 * - context: the test's vars;
 * - dimensions: provider (label or id), prompt (label), test (description), and the scalar
 *   values of the test's and the row's `metadata`.
 * The row's llm-rubric verdict (a `componentResults` entry, or the grading result itself, whose
 * `assertion.type` is "llm-rubric") becomes the imported run: pass → "pass", fail → "fail",
 * reason → critique; promptfoo's grader failures ("Could not extract JSON…") become errors.
 * Manual ratings made in promptfoo's viewer (`assertion.type` "human", with its comment) become
 * expert labels.
 */
export function fromPromptfoo(text: string, fileName: string, opts: PromptfooOptions = {}): ConvertedImport {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    throw new InputError(fileName, pos ? text.slice(0, Number(pos[1])).split('\n').length : null, null, `not valid JSON (${msg})`);
  }
  if (!isObject(doc)) throw new InputError(fileName, 1, null, 'expected a promptfoo results object ({"evalId", "results": {"results": [...]}})');
  let rows: unknown[];
  let path: string[];
  if (isObject(doc.results) && Array.isArray(doc.results.results)) { rows = doc.results.results; path = ['results', 'results']; }
  else if (Array.isArray(doc.results) && ('version' in doc || 'stats' in doc)) { rows = doc.results; path = ['results']; }
  else throw new InputError(fileName, 1, 'results.results', 'is missing: expected promptfoo\'s `promptfoo eval -o results.json` output, with the rows under "results": {"results": [...]}');
  if (!rows.length) throw new InputError(fileName, 1, 'results.results', 'is empty: the eval has no result rows');

  const lines = jsonArrayElementLines(text, path);
  const linesKnown = lines.length === rows.length;
  const prefix = path.join('.');
  const evalId = typeof doc.evalId === 'string' ? doc.evalId : null;
  const warnings: string[] = [];
  const items: SourceRecord[] = [];
  const judgments: SourceRecord[] = [];
  const labels: SourceRecord[] = [];
  const generated = new Set<SourceRecord>();
  const byItem = new Map<SourceRecord, SourceRecord[]>();
  let rubricRows = 0;

  // every row is checked: the problems of the whole file are listed at once (up to 50, and the count of the rest)
  const problems = new ProblemCollector();
  rows.forEach((row, k) => problems.record(() => {
    const line = linesKnown ? lines[k]! : 1;
    const where = (field: string) => `${prefix}[${k}]${field ? `.${field}` : ''}`;
    const fail = (field: string, reason: string): never => { throw new InputError(fileName, linesKnown ? line : null, where(field), reason); };
    if (!isObject(row)) fail('', 'is not an object');
    const r = row as Record<string, unknown>;
    const response = isObject(r.response) ? r.response : null;
    const output = response?.output;
    // a row's own "error" is also set for failed assertions; it names a provider failure only when failureReason is 2 (ERROR)
    const err = asText(response?.error ?? (r.failureReason === 2 ? r.error : undefined)).trim();
    // an empty answer is judged like any other; a missing one (or an empty one beside a provider error) is not an answer
    if (output === undefined || output === null || (err && typeof output === 'string' && output.trim() === '')) {
      const why = err ? `has no output: the provider call failed (${err.slice(0, 200)})` : 'is missing: there is no model output to judge';
      if (opts.skipErrors) { warnings.push(`${where('response.output')} (line ${line}) ${why}; row skipped`); return; }
      fail('response.output', `${why}${err ? '; re-run those tests or import with skipErrors' : ''}`);
    }
    const testCase = isObject(r.testCase) ? r.testCase : {};
    const varsRaw = isObject(r.vars) ? r.vars : isObject(testCase.vars) ? testCase.vars : {};
    const prompt = isObject(r.prompt) ? r.prompt : {};
    const promptRaw = typeof prompt.raw === 'string' ? prompt.raw : '';
    const input = promptRaw.trim() ? promptRaw : Object.keys(varsRaw).length ? JSON.stringify(varsRaw, null, 2) : '';
    if (!input) fail('prompt.raw', 'is missing and the row has no vars: nothing to show as the input');
    const provider = isObject(r.provider) ? r.provider : typeof r.provider === 'string' ? { id: r.provider } : {};
    const providerId = asText(provider.id);
    const providerName = asText(provider.label).trim() || providerId;
    const outputText = asText(output);

    const dimensions: Record<string, string> = Object.create(null);
    if (providerName) dimensions.provider = providerName;
    if (typeof prompt.label === 'string' && prompt.label.trim()) dimensions.prompt = prompt.label.trim();
    const description = asText(testCase.description ?? r.description).trim();
    if (description) dimensions.test = description;
    scalarDimensions(testCase.metadata, dimensions, true);
    scalarDimensions(r.metadata, dimensions, true);

    const item: SourceRecord = {
      line,
      fields: { id: `pf-${stableHash([providerId, promptRaw, varsRaw, outputText])}`, input, output: outputText, context: varsRaw, dimensions },
    };
    generated.add(item);
    items.push(item);
    const attached: SourceRecord[] = [];
    byItem.set(item, attached);

    const grading = isObject(r.gradingResult) ? r.gradingResult : null;
    const components = (Array.isArray(grading?.componentResults) ? grading.componentResults : []) as unknown[];
    const typed = (type: string) => components
      .map((c, i) => ({ c, i }))
      .filter((x): x is { c: Record<string, unknown>; i: number } => isObject(x.c) && isObject(x.c.assertion) && x.c.assertion.type === type);

    let rubric = typed('llm-rubric');
    if (!rubric.length && grading && isObject(grading.assertion) && grading.assertion.type === 'llm-rubric') rubric = [{ c: grading, i: -1 }];
    if (opts.rubric) rubric = rubric.filter(({ c }) => { const a = c.assertion as Record<string, unknown>; return a.metric === opts.rubric || a.value === opts.rubric; });
    if (rubric.length > 1) {
      const names = rubric.map(({ c }) => { const a = c.assertion as Record<string, unknown>; return typeof a.metric === 'string' ? `metric "${a.metric}"` : `"${asText(a.value).slice(0, 60)}"`; });
      fail('gradingResult.componentResults', `has ${rubric.length} llm-rubric assertions (${names.join(', ')}); choose the judge with the rubric option (its metric or its rubric text)`);
    }
    if (rubric.length === 1) {
      const { c, i } = rubric[0]!;
      const field = i < 0 ? 'gradingResult' : `gradingResult.componentResults[${i}]`;
      if (typeof c.pass !== 'boolean') fail(`${field}.pass`, 'must be true or false');
      const reason = asText(c.reason);
      const graderFailed = (isObject(c.metadata) && c.metadata.graderError === true) || GRADER_FAILURE.some((re) => re.test(reason.trim()));
      const judgment: SourceRecord = {
        line,
        fields: {
          id: item.fields.id,
          verdict: graderFailed ? '' : c.pass ? 'pass' : 'fail',
          critique: graderFailed ? '' : reason,
          raw: JSON.stringify({ pass: c.pass, score: c.score ?? null, reason: c.reason ?? null }),
          error: graderFailed ? `promptfoo's llm-rubric grader failed: ${reason.slice(0, 300)}` : '',
        },
      };
      judgments.push(judgment);
      attached.push(judgment);
      rubricRows++;
    }

    const human = typed('human').pop();
    if (human && typeof human.c.pass === 'boolean') {
      const label: SourceRecord = {
        line,
        fields: { id: item.fields.id, verdict: human.c.pass ? 'pass' : 'fail', critique: asText(human.c.comment ?? grading?.comment) },
      };
      labels.push(label);
      attached.push(label);
    }
  }));
  problems.done();

  if (!items.length) throw new InputError(fileName, null, `${prefix}`, 'no row has an output to import');
  const renamed = dedupeGeneratedIds(items, generated, warnings, 'provider, prompt, vars and output');
  for (const [item, id] of renamed) for (const rec of byItem.get(item) ?? []) rec.fields.id = id;
  if (opts.rubric && !rubricRows) throw new InputError(fileName, null, 'rubric', `no llm-rubric assertion has the metric or rubric text "${opts.rubric}"`);
  if (!rubricRows) warnings.push('no llm-rubric verdicts found: only the items were converted');

  const origins = {
    id: `${prefix}[]`, input: 'prompt.raw', output: 'response.output', context: 'vars', dimensions: 'metadata',
    verdict: 'gradingResult.componentResults[].pass', critique: 'gradingResult.componentResults[].reason',
  };
  return {
    format: 'promptfoo',
    items: { name: fileName, records: items, origins },
    labels: labels.length ? { name: fileName, records: labels, origins: { ...origins, critique: 'gradingResult.comment' } } : undefined,
    run: judgments.length ? { name: `promptfoo llm-rubric${evalId ? ` (${evalId})` : ''}`, source: { name: fileName, records: judgments, origins } } : undefined,
    warnings,
  };
}
