import type { Repositories } from '../db/index.ts';
import type { Criterion, Dataset, ImportWarnings, Item, PromptVersion, Run, Scale, Split, SplitFilter } from '../../shared/types.ts';
import { validateTemplate, buildMessages } from '../../shared/template.ts';
import { normaliseVerdict, describeVerdicts } from '../../shared/verdicts.ts';
import { alignmentOutcomes, exclusionOf, type Outcome } from '../../shared/metrics/outcomes.ts';
import { BinaryReportBuilder, reportFromOutcomes, type AlignmentReport } from '../../shared/metrics/report.ts';
import type { AnnotatorAgreement } from '../../shared/metrics/annotators.ts';
import type { Interval } from '../../shared/stats/index.ts';
import type { Governance } from '../../shared/converge-schemas.ts';
import { AnnotatorWithoutLabelsError, NotFoundError, ValidationError } from './errors.ts';
import { importItems, importLabels, importRun, type FieldMap, type ImportSource } from './imports.ts';
import { labelRows, type LabelRow } from './exports.ts';
import { RunEngine, loadExamples, type EngineOptions } from '../judge/engine.ts';
import { NO_KEY, wantsNoKey } from '../judge/secrets.ts';
import { findOrCreateProfile, profileByRef } from './profiles.ts';
import { LabelConflictError, withWriteRetry } from '../db/index.ts';

/** How long a label save waits for another process's write lock before it answers "busy, retry". */
const LABEL_SAVE_WAIT_MS = 2000;
import { HEADLINE_EXCLUSIONS, SPLIT_CODES } from '../db/alignment.ts';
import { annotatorAgreement } from '../../shared/metrics/annotators.ts';
import { compareOutcomes, RunComparisonBuilder } from '../../shared/metrics/compare.ts';
import { verdictStability, verdictStabilityFromCounts } from '../../shared/metrics/bias.ts';
import { correctedPassRate } from '../../shared/stats/index.ts';
import { verdictOptions, isPass } from '../../shared/verdicts.ts';
import { hasResults, isConsistencyRerun, measuringRun } from '../../shared/runs.ts';

import { MAJORITY } from '../db/labels.ts';
import { shellQuote } from '../../shared/shell.ts';
export { MAJORITY };

export interface NewVersionInput {
  template: string; model: string;
  /** the endpoint profile it is meant for, by name; or the shorthand baseUrl/apiKeyEnv, which finds or creates one */
  profile?: string; baseUrl?: string | null; apiKeyEnv?: string; temperature?: number | null;
  maxTokens?: number | null; seed?: number | null; examples?: string[]; note?: string;
}

/** `versionNumber: 'published'` names the criterion's published version (and its confirming test run); 'latest' its newest version. */
export interface ReportQuery { runId?: number; versionNumber?: number | 'latest' | 'published'; split?: SplitFilter; annotator?: string }

export type { Governance };

export interface ReportResult {
  report: AlignmentReport & { annotators: AnnotatorAgreement & { judge: Array<{ annotator: string; n: number; agreement: Interval; kappa: Interval }> } };
  run: Run;
  criterion: Criterion;
  dataset: Dataset;
  version: PromptVersion | null;
  annotator: string;
  outcomes: Outcome[];
  governance: Governance;
}

/**
 * The operations of one workspace, shared by the HTTP API and the CLI so both behave the same.
 * Lookups throw NotFoundError; bad values throw ValidationError naming the field.
 */
export class Workspace {
  readonly engine: RunEngine;
  constructor(readonly repos: Repositories, engineOptions: EngineOptions = {}) {
    this.engine = new RunEngine(repos, engineOptions);
  }

  dataset(ref: string | number): Dataset {
    const d = typeof ref === 'number' ? this.repos.datasets.get(ref) : this.repos.datasets.byName(ref);
    if (!d) throw new NotFoundError(`no dataset ${typeof ref === 'number' ? `#${ref}` : `"${ref}"`}`);
    return d;
  }

  criterion(dataset: string | number, name: string | number): Criterion {
    const d = this.dataset(dataset);
    const c = typeof name === 'number' ? this.repos.criteria.get(name) : this.repos.criteria.byName(d.id, name);
    if (!c || c.datasetId !== d.id) throw new NotFoundError(`no criterion ${typeof name === 'number' ? `#${name}` : `"${name}"`} in dataset "${d.name}"`);
    return c;
  }

  criterionById(id: number): Criterion {
    const c = this.repos.criteria.get(id);
    if (!c) throw new NotFoundError(`no criterion #${id}`);
    return c;
  }

  item(id: number): Item {
    const i = this.repos.items.get(id);
    if (!i) throw new NotFoundError(`no item #${id}`);
    return i;
  }

  run(id: number): Run {
    const r = this.repos.runs.get(id);
    if (!r) throw new NotFoundError(`no run #${id}`);
    return r;
  }

  version(criterion: Criterion, ref: number | 'latest'): PromptVersion {
    const v = ref === 'latest' ? this.repos.versions.latest(criterion.id) : this.repos.versions.byNumber(criterion.id, ref);
    if (!v) throw new NotFoundError(ref === 'latest' ? `criterion "${criterion.name}" has no prompt version yet` : `criterion "${criterion.name}" has no version ${ref}`);
    return v;
  }

  importItems(datasetName: string, src: ImportSource, map?: FieldMap, splits?: Dataset['splits']) {
    return importItems(this.repos, datasetName, src, map, splits);
  }

  addCriterion(datasetRef: string | number, input: { name: string; description?: string; scale?: Scale; levels?: number | null; passAt?: number | null; principalAnnotator?: string; targetAgreement?: number }): Criterion {
    const d = this.dataset(datasetRef);
    if (!input.name.trim()) throw new ValidationError('name', 'must not be empty');
    if (this.repos.criteria.byName(d.id, input.name)) throw new ValidationError('name', `criterion "${input.name}" already exists in "${d.name}"`);
    const scale = input.scale ?? 'binary';
    if (scale === 'ordinal') {
      if (!input.levels || input.levels < 2) throw new ValidationError('levels', 'an ordinal criterion needs --levels K with K ≥ 2');
      if (!input.passAt || input.passAt < 1 || input.passAt > input.levels) throw new ValidationError('passAt', `must be between 1 and ${input.levels}`);
    }
    return this.repos.criteria.create(d.id, { ...input, scale, levels: scale === 'ordinal' ? input.levels : null, passAt: scale === 'ordinal' ? input.passAt : null });
  }

  importLabels(criterion: Criterion, src: ImportSource, annotator?: string, map?: FieldMap) {
    return importLabels(this.repos, criterion, src, annotator, map);
  }

  /**
   * Makes `annotator` the criterion's principal: their current labels become the reference of every
   * report and gate. Refused for an annotator with no labels on the criterion (the reports would
   * compare with nobody) and for the computed "majority".
   */
  setPrincipal(criterion: Criterion, annotator: string): Criterion {
    const name = annotator.trim();
    if (!name) throw new ValidationError('annotator', 'must name an annotator');
    if (name === MAJORITY) throw new ValidationError('annotator', `"${MAJORITY}" is computed from the annotators' labels; name one of them`);
    const have = this.repos.alignment.annotators(criterion.id).filter((a) => a !== MAJORITY);
    if (!have.includes(name)) throw new AnnotatorWithoutLabelsError(`annotator "${name}" has no labels on criterion "${criterion.name}"; annotators with labels: ${have.length ? have.join(', ') : 'none yet'}`, have);
    this.repos.criteria.setPrincipal(criterion.id, name);
    return this.criterionById(criterion.id);
  }

  /** Saves one label with an optimistic-concurrency check (`expectedId` = the label the writer last saw). */
  saveLabel(criterion: Criterion, input: { itemId: number; annotator?: string; verdict: string | null; critique: string; ambiguous: boolean; expectedId: number | null }) {
    const item = this.item(input.itemId);
    if (item.datasetId !== criterion.datasetId) throw new ValidationError('itemId', 'the item is not in this criterion\'s dataset');
    const verdict = input.verdict === null ? null : normaliseVerdict(input.verdict, criterion);
    if (input.verdict !== null && !verdict) throw new ValidationError('verdict', `"${input.verdict}" is not ${describeVerdicts(criterion)}`);
    if (!verdict && !input.ambiguous) throw new ValidationError('verdict', `is required unless the label is marked ambiguous (${describeVerdicts(criterion)})`);
    return this.repos.labels.appendIfCurrent(criterion.id, {
      itemId: item.id, annotator: input.annotator || criterion.principalAnnotator, verdict, critique: input.critique, ambiguous: input.ambiguous, source: 'ui',
    }, input.expectedId);
  }

  /**
   * saveLabel for a waiting person: while another process holds the workspace's write lock it
   * is retried for up to `waitMs` without blocking the server, then WorkspaceBusyError (retryable).
   */
  saveLabelWhenUnlocked(criterion: Criterion, input: Parameters<Workspace['saveLabel']>[1], waitMs = LABEL_SAVE_WAIT_MS) {
    return withWriteRetry(this.repos.db, () => this.saveLabel(criterion, input), { deadlineMs: waitMs });
  }

  /** The current labels of one annotator as exported (one column set for the API, the CLI and the CSV: see exports.ts labelRows). */
  exportLabels(criterion: Criterion, annotator?: string): LabelRow[] {
    return labelRows(this, criterion, annotator);
  }

  /** Validates and stores a new immutable version; examples are external item ids of labelled items. */
  addVersion(criterion: Criterion, input: NewVersionInput): PromptVersion {
    const problems = validateTemplate(input.template, criterion.scale);
    if (problems.length) throw new ValidationError('template', problems.map((p) => `line ${p.line}: ${p.reason}`).join('; '));
    if (input.profile && (input.baseUrl || input.apiKeyEnv !== undefined)) throw new ValidationError('profile', 'give either a profile or a base URL / API key variable, not both');
    // The profile is resolved (found or created) only after every other check passes, so a refused save creates nothing.
    const profileNamed = input.profile ? profileByRef(this, input.profile) : null;
    const model = input.model?.trim() || profileNamed?.model || '';
    if (!model) throw new ValidationError('model', 'must name the judge model');
    if (input.temperature != null && !(input.temperature >= 0 && input.temperature <= 2)) throw new ValidationError('temperature', 'must be between 0 and 2');
    if (input.maxTokens != null && !(Number.isInteger(input.maxTokens) && input.maxTokens > 0)) throw new ValidationError('maxTokens', 'must be a positive integer');
    const labels = this.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator);
    const examples = (input.examples ?? []).map((ext) => {
      const item = this.repos.items.byExternalId(criterion.datasetId, ext);
      if (!item) throw new ValidationError('examples', `no item "${ext}" in this dataset`);
      const l = labels.get(item.id);
      if (!l?.verdict || l.ambiguous) throw new ValidationError('examples', `item "${ext}" has no usable expert label to show as an example`);
      return item.id;
    });
    if (input.apiKeyEnv !== undefined && !wantsNoKey(input.apiKeyEnv.trim()) && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(input.apiKeyEnv.trim())) {
      throw new ValidationError('apiKeyEnv', `must be an environment variable name (the key itself is never stored), or "${NO_KEY}" for an endpoint that needs no key`);
    }
    if (input.baseUrl && !/^https?:\/\/[^\s]+$/i.test(input.baseUrl)) throw new ValidationError('baseUrl', 'must be an http(s) URL');
    if (profileNamed) {
      const problem = this.engine.endpointOf(profileNamed).problem;
      if (problem) throw new ValidationError('profile', `endpoint profile "${profileNamed.name}": ${problem}`, 'key_not_allowed');
    }
    return this.repos.db.transaction(() => {
      const profile = profileNamed ?? findOrCreateProfile(this, input.baseUrl || null, input.apiKeyEnv);
      return this.repos.versions.create(criterion.id, {
        template: input.template, model, baseUrl: profile.baseUrl, apiKeyEnv: profile.apiKeyEnv, profileId: profile.id,
        temperature: input.temperature ?? null, maxTokens: input.maxTokens ?? null, seed: input.seed ?? null, examples, note: input.note ?? '',
      });
    })();
  }

  /** The exact messages a version would send for an item (what the judge sees). */
  preview(criterion: Criterion, template: string, itemId: number, exampleIds: number[] = []) {
    const item = this.item(itemId);
    const examples = loadExamples(this.repos, { examples: exampleIds }, criterion);
    return { problems: validateTemplate(template, criterion.scale), messages: buildMessages(template, item, { criterion, examples }) };
  }

  importRun(criterion: Criterion, src: ImportSource, name: string, map?: FieldMap): Run & ImportWarnings {
    if (!name.trim()) throw new ValidationError('name', 'an imported run needs a name (e.g. the judge that produced it)');
    return importRun(this.repos, criterion, src, name, map);
  }

  /** The run a report is about: explicit, the latest finished run of a version, or the criterion's latest finished run. */
  resolveRun(criterion: Criterion, q: Omit<ReportQuery, 'annotator'>): Run {
    if (q.versionNumber === 'published' && q.runId === undefined) {
      // the published version is measured by the test run its confirmation was made from
      const p = this.repos.confirmations.active(criterion.id);
      if (!p) throw new NotFoundError(`criterion "${criterion.name}" has no published version; confirm one on test and publish it: concur publish --dataset ${this.dataset(criterion.datasetId).name} --criterion "${criterion.name}" --version N --by NAME`);
      const c = this.repos.confirmations.confirmations(criterion.id).find((x) => x.id === p.confirmationId)!;
      return this.run(c.runId);
    }
    if (q.versionNumber === 'published') throw new ValidationError('version', 'name either a run or the published version, not both');
    if (q.runId !== undefined) {
      const run = this.run(q.runId);
      if (run.criterionId !== criterion.id) throw new NotFoundError(`run #${q.runId} is not a run of "${criterion.name}"`);
      return run;
    }
    // Without an explicit run: the shared rule (alignment runs only: on the criterion's own labelled
    // items, not position-swap or few-shot-order reruns, nor runs that judged another dataset's traffic).
    const runs = this.repos.runs.list(criterion.id);
    if (q.versionNumber !== undefined) {
      const v = this.version(criterion, q.versionNumber);
      // the version's run that covers the split asked for (a newer dev run does not answer for test)
      const r = measuringRun(runs, criterion.datasetId, { versionId: v.id, split: q.split });
      if (!r) throw new NotFoundError(`version ${v.number} of "${criterion.name}" has no finished run${q.split ? ` on ${q.split}` : ''} yet`);
      return r;
    }
    const r = measuringRun(runs, criterion.datasetId);
    if (!r) throw new NotFoundError(`criterion "${criterion.name}" has no finished run yet`);
    return r;
  }

  /**
   * Outcomes of a run against an annotator's current labels (the population rules of the design).
   * Labelled items of the split the run has no place for (e.g. left out of an imported run) are
   * included as notJudged, so nothing is excluded silently (see {@link missingSplit}).
   */
  outcomes(criterion: Criterion, run: Run, split: SplitFilter, annotator: string): Outcome[] {
    const version = run.versionId !== null ? this.repos.versions.get(run.versionId)! : null;
    const fewShot = new Set(version?.examples ?? []);
    const ids = this.repos.runs.itemIds(run.id);
    const labels = this.repos.labels.currentByItem(criterion.id, annotator);
    const missing = missingSplit(criterion, run, split);
    if (missing !== null) {
      const planned = new Set(ids);
      const extra: number[] = [];
      for (const [itemId, l] of labels) {
        if (l.verdict !== null && !l.ambiguous && !planned.has(itemId) && !fewShot.has(itemId)) extra.push(itemId);
      }
      for (const id of extra) {
        const item = this.repos.items.get(id);
        if (item && (missing === 'all' || item.split === missing)) ids.push(id);
      }
      if (extra.length) ids.sort((x, y) => x - y);
    }
    const items = ids.map((id) => this.repos.items.get(id)!);
    return alignmentOutcomes({ criterion, items, labels, judgments: this.repos.runs.judgments(run.id), fewShot, split });
  }

  /**
   * Whether a run's report can be counted straight from the database (one pass, no per-item
   * objects): binary scale, one sample per item, and an annotator with stored labels.
   */
  private streamable(criterion: Criterion, run: Run, annotator: string): boolean {
    return criterion.scale === 'binary' && annotator !== MAJORITY && this.repos.alignment.samplesRecorded(run.id) <= 1;
  }

  /** The binary report of a one-sample run, counted from one streamed pass over its items. */
  private streamedReport(criterion: Criterion, run: Run, split: SplitFilter, annotator: string, full: boolean): AlignmentReport {
    if (!full && annotator === criterion.principalAnnotator) return this.headlineReports(criterion, run, [split])[0]!;
    const version = run.versionId !== null ? this.repos.versions.get(run.versionId)! : null;
    const builder = new BinaryReportBuilder(split, { slices: full, verbosity: full });
    if (full) {
      const planned = { train: 0, dev: 0, test: 0 };
      // dimension set id → its parsed dimensions, one object per set (the builder groups items by identity)
      const sets: Array<Record<string, string> | undefined> = [];
      const dimensionsOf = (setId: number) => (sets[setId] ??= JSON.parse(this.repos.alignment.dimensionSet(setId)) as Record<string, string>);
      for (const [packed, setId] of this.repos.alignment.runRows({ runId: run.id, criterionId: criterion.id, annotator, split, fewShot: version?.examples ?? [] })) {
        const code = packed % 128, itemSplit = SPLIT_CODES[(code >> 2) & 3]!;
        planned[itemSplit]++;
        builder.add(itemSplit, dimensionsOf(setId), code & 2 ? 'pass' : 'fail', code & 1 ? 'pass' : 'fail', HEADLINE_EXCLUSIONS[code >> 4]!, (packed - code) / 128);
      }
      for (const [, itemSplit, expert, setId] of this.missingLabelled(criterion, run, split, annotator, version?.examples ?? [], planned)) {
        builder.add(itemSplit, dimensionsOf(setId), expert, null, 'notJudged', 0);
      }
    } else {
      // another annotator: only the items they labelled can be compared (n, agreement, kappa)
      const none: Record<string, string> = {};
      const fewShot = new Set(version?.examples ?? []);
      const label = { verdict: null as string | null, ambiguous: false };
      for (const [itemId, expert, ambiguous, judge, judged] of this.repos.alignment.labelledRows({ runId: run.id, criterionId: criterion.id, annotator, split })) {
        label.verdict = expert; label.ambiguous = ambiguous === 1;
        builder.add('dev', none, expert, judge, exclusionOf(fewShot.has(itemId), label, judged === 1, judge), 0);
      }
      for (const [, , expert] of this.missingLabelled(criterion, run, split, annotator, version?.examples ?? [])) builder.add('dev', none, expert, null, 'notJudged', 0);
    }
    return builder.report();
  }

  /**
   * Refuses to measure against an annotator without labels on the criterion when another has some:
   * an unknown `annotator`, or (none given) a principal who has not labelled. With no labels at all
   * the report is an empty one (a fresh criterion), not an error.
   */
  requireLabelsOf(criterion: Criterion, given: string | undefined): void {
    const annotator = given ?? criterion.principalAnnotator;
    if (annotator === MAJORITY) return;
    const have = this.repos.alignment.annotators(criterion.id).filter((a) => a !== MAJORITY);
    if (have.includes(annotator) || (given === undefined && have.length === 0)) return;
    const d = this.dataset(criterion.datasetId);
    const whose = given === undefined ? `the principal annotator "${annotator}"` : `annotator "${annotator}"`;
    const hint = have.length
      ? `annotators with labels: ${have.join(', ')}; pass --annotator NAME or make one principal: concur criteria set-principal --dataset ${shellQuote(d.name)} --criterion ${shellQuote(criterion.name)} --annotator ${shellQuote(have[0]!)}`
      : 'no annotator has labelled it yet';
    throw new AnnotatorWithoutLabelsError(`${whose} has no labels on criterion "${criterion.name}"; ${hint}`, have);
  }

  report(criterion: Criterion, q: ReportQuery = {}): ReportResult {
    this.requireLabelsOf(criterion, q.annotator);
    const run = this.resolveRun(criterion, q);
    const split = q.split ?? run.split;
    const annotator = q.annotator ?? criterion.principalAnnotator;
    if (this.streamable(criterion, run, annotator)) return this.streamedReportResult(criterion, run, split, annotator);
    return this.reportFromItems(criterion, run, split, annotator);
  }

  /**
   * The headline figures of a run against the principal expert on one split (n, exclusions,
   * confusion, agreement, kappa, TPR/TNR …) without slices, verbosity, annotators or reruns: what
   * the dashboard draws per run; a gate checks them. Counted in SQL for one-sample binary runs.
   */
  headlineReport(criterion: Criterion, run: Run, split: SplitFilter): AlignmentReport {
    return this.headlineReports(criterion, run, [split])[0]!;
  }

  /** {@link headlineReport} for several splits at once (one SQL pass over the run for one-sample binary runs). */
  headlineReports(criterion: Criterion, run: Run, splits: SplitFilter[]): AlignmentReport[] {
    const annotator = criterion.principalAnnotator;
    if (!this.streamable(criterion, run, annotator)) {
      return splits.map((split) => reportFromOutcomes(this.outcomes(criterion, run, split, annotator), criterion, split, { slices: false }));
    }
    const version = run.versionId !== null ? this.repos.versions.get(run.versionId)! : null;
    const builders = splits.map((split) => new BinaryReportBuilder(split, { slices: false, verbosity: false }));
    const one = splits.length === 1 ? splits[0]! : 'all';
    const planned = { train: 0, dev: 0, test: 0 };
    for (const [itemSplit, code, expertPass, judgePass, n] of this.repos.alignment.headlineCounts({ runId: run.id, criterionId: criterion.id, annotator, split: one, fewShot: version?.examples ?? [] })) {
      planned[itemSplit] += n;
      splits.forEach((split, k) => {
        if (split === 'all' || split === itemSplit) builders[k]!.addCount(expertPass ? 'pass' : 'fail', judgePass ? 'pass' : 'fail', HEADLINE_EXCLUSIONS[code]!, n);
      });
    }
    for (const [, itemSplit, expert] of this.missingLabelled(criterion, run, one, annotator, version?.examples ?? [], planned)) {
      splits.forEach((split, k) => {
        if (missingSplit(criterion, run, split) !== null && (split === 'all' || split === itemSplit)) builders[k]!.addCount(expert, null, 'notJudged', 1);
      });
    }
    return builders.map((b) => b.report());
  }

  /**
   * The labelled items of the split the run has no place for (see {@link missingSplit}), as SQL rows.
   * `planned`: the run's items per split, counted by the caller's pass over the run in `split`.
   */
  private missingLabelled(criterion: Criterion, run: Run, split: SplitFilter, annotator: string, fewShot: readonly number[], planned?: Record<Split, number>) {
    const within = missingSplit(criterion, run, split);
    if (within === null) return [];
    const plannedWithin = planned && (within === 'all' ? planned.train + planned.dev + planned.test : planned[within]);
    return this.repos.alignment.missingLabelled({ runId: run.id, criterionId: criterion.id, datasetId: criterion.datasetId, annotator, split: within, fewShot }, plannedWithin);
  }

  /** What a gate checks: the run a report would measure and its headline figures (n, agreement, kappa, TPR, TNR) against the principal expert. */
  gateReport(criterion: Criterion, q: Omit<ReportQuery, 'annotator'> = {}): { run: Run; report: AlignmentReport } {
    this.requireLabelsOf(criterion, undefined);
    const run = this.resolveRun(criterion, q);
    return { run, report: this.headlineReport(criterion, run, q.split ?? run.split) };
  }

  /** {@link report} for one-sample binary runs: the same figures, with outcomes built only if asked for. */
  private streamedReportResult(criterion: Criterion, run: Run, split: SplitFilter, annotator: string): ReportResult {
    const version = run.versionId !== null ? this.repos.versions.get(run.versionId)! : null;
    const report = this.streamedReport(criterion, run, split, annotator, true);
    this.addRerunConsistency(criterion, run, split, annotator, null, report);
    const humans = annotatorAgreement(this.repos.alignment.humanLabels({ criterionId: criterion.id, runId: run.id, split, principal: criterion.principalAnnotator }), verdictOptions(criterion));
    const judge = [...humans.annotators, ...(humans.annotators.length >= 3 ? [MAJORITY] : [])].map((a) => {
      const r = a === annotator ? report
        : a === MAJORITY ? reportFromOutcomes(this.outcomes(criterion, run, split, a), criterion, split, { slices: false })
          : this.streamedReport(criterion, run, split, a, false);
      return { annotator: a, n: r.n, agreement: r.agreement, kappa: r.kappa };
    });
    let outcomes: Outcome[] | undefined;
    const self = this;
    return {
      report: { ...report, annotators: { ...humans, judge } },
      run, criterion, dataset: this.dataset(criterion.datasetId), version, annotator, governance: this.governance(criterion),
      // the per-item outcomes (disagreement lists) are read only by callers that ask for them
      get outcomes() { return (outcomes ??= self.outcomes(criterion, run, split, annotator)); },
    };
  }

  private reportFromItems(criterion: Criterion, run: Run, split: SplitFilter, annotator: string): ReportResult {
    const version = run.versionId !== null ? this.repos.versions.get(run.versionId)! : null;
    const allLabels = this.repos.labels.allCurrent(criterion.id);
    const outcomes = this.outcomes(criterion, run, split, annotator);
    // outcomes carry the run's full items (Item ⊇ OutcomeItem), so output lengths need no extra reads
    const lengths = new Map(outcomes.map((o) => [o.item.id, (o.item as Item).output.length]));
    const report = reportFromOutcomes(outcomes, criterion, split, { outputLength: (id) => lengths.get(id) ?? 0 });
    this.addRerunConsistency(criterion, run, split, annotator, outcomes, report);
    // human–human agreement over the run's own items (labelled items it has no place for are notJudged outcomes only)
    const planned = new Set(this.repos.runs.itemIds(run.id));
    const itemIds = new Set<number>();
    for (const o of outcomes) if (planned.has(o.item.id)) itemIds.add(o.item.id);
    const humans = annotatorAgreement(allLabels, verdictOptions(criterion), itemIds);
    return {
      report: {
        ...report,
        annotators: {
          ...humans,
          /** the judge measured against each annotator (and the majority when there are three or more) */
          judge: [...humans.annotators, ...(humans.annotators.length >= 3 ? [MAJORITY] : [])].map((a) => {
            const r = a === annotator ? report : reportFromOutcomes(this.outcomes(criterion, run, split, a), criterion, split, { slices: false });
            return { annotator: a, n: r.n, agreement: r.agreement, kappa: r.kappa };
          }),
        },
      },
      run, criterion, dataset: this.dataset(criterion.datasetId), version, annotator, outcomes, governance: this.governance(criterion),
    };
  }

  /** The published version and the confirmations on test of a criterion. */
  governance(criterion: Criterion): Governance {
    const p = this.repos.confirmations.active(criterion.id);
    const all = this.repos.confirmations.confirmations(criterion.id);
    const confirmations = all.map((c) => ({
      sequence: c.sequence, version: c.versionNumber, by: c.confirmedBy, at: c.confirmedAt, runId: c.runId, n: c.figures.n,
      agreement: c.figures.agreement, kappa: c.figures.kappa, tpr: c.figures.tpr, tnr: c.figures.tnr, devPeeks: c.devPeeks,
    }));
    return {
      published: p ? { version: p.versionNumber, by: p.publishedBy, at: p.publishedAt, confirmation: all.find((c) => c.id === p.confirmationId)?.sequence ?? 0 } : null,
      confirmations,
      note: all.length > 1 ? `${all.length} confirmations on this test split: each look at test after the first makes its figures less of a held-out estimate` : null,
    };
  }

  /** Few-shot order and A/B position reruns of the same version on the same items. */
  private addRerunConsistency(criterion: Criterion, run: Run, split: SplitFilter, annotator: string, outcomes: Outcome[] | null, report: AlignmentReport) {
    if (run.versionId === null || isConsistencyRerun(run)) return;
    // both runs one-sample: counted by one SQL join; otherwise from the outcomes (read once, if not given)
    const stability = (other: Run) => (outcomes === null && this.repos.alignment.samplesRecorded(other.id) <= 1
      ? (({ n, same }) => verdictStabilityFromCounts(n, same))(this.repos.alignment.stability(run.id, other.id, split))
      : verdictStability((outcomes ??= this.outcomes(criterion, run, split, annotator)), this.outcomes(criterion, other, split, annotator)));
    for (const other of this.repos.runs.list(criterion.id)) {
      if (other.id === run.id || other.versionId !== run.versionId || other.done === 0) continue;
      if (other.variant.permuteSeed !== undefined) {
        const s = stability(other);
        report.consistency.orderSensitivity.push({ runId: other.id, name: other.name, n: s.n, flipRate: s.n ? 1 - s.same / s.n : null });
      } else if (other.variant.swap) {
        const s = stability(other);
        report.consistency.positionConsistency.push({ runId: other.id, name: other.name, n: s.n, rate: s.rate });
      }
    }
  }

  /** Fixed and regressed items between two runs of a criterion, with McNemar's exact test. */
  compare(criterion: Criterion, runA: number, runB: number, split?: SplitFilter) {
    const a = this.resolveRun(criterion, { runId: runA }), b = this.resolveRun(criterion, { runId: runB });
    const s = split ?? (a.split === b.split ? a.split : 'all');
    if (this.repos.alignment.samplesRecorded(a.id) <= 1 && this.repos.alignment.samplesRecorded(b.id) <= 1) {
      // one-sample runs: one pass over the compared items, the population rules applied in SQL (no per-item objects)
      const vA = a.versionId !== null ? this.repos.versions.get(a.versionId)! : null, vB = b.versionId !== null ? this.repos.versions.get(b.versionId)! : null;
      const cmp = new RunComparisonBuilder();
      const { concordant, changed } = this.repos.alignment.compareItems({ runA: a.id, runB: b.id, criterionId: criterion.id, annotator: criterion.principalAnnotator, split: s, fewA: vA?.examples ?? [], fewB: vB?.examples ?? [] });
      cmp.addConcordantCounts(concordant.bothRight, concordant.bothWrong);
      for (const [itemId, externalId, expert, before, after, dimensions] of changed) {
        cmp.add(itemId, externalId, expert, before, after, () => Object.assign(Object.create(null), JSON.parse(dimensions)) as Record<string, string>);
      }
      return { a: a.id, b: b.id, split: s, ...cmp.result() };
    }
    return { a: a.id, b: b.id, split: s, ...compareOutcomes(this.outcomes(criterion, a, s, criterion.principalAnnotator), this.outcomes(criterion, b, s, criterion.principalAnnotator)) };
  }

  /**
   * Corrected pass rate (Rogan–Gladen) of a version on unlabelled items it judged, using its
   * TPR/TNR on the labelled test split. `onDataset` names the dataset of the unlabelled items
   * (default: the criterion's own).
   */
  correctedPassRate(criterion: Criterion, versionNumber: number, onDataset?: string, opts: { iterations?: number; seed?: number } = {}) {
    if (criterion.scale === 'pairwise') throw new ValidationError('criterion', 'a corrected pass rate applies to binary and ordinal criteria');
    const version = this.version(criterion, versionNumber);
    const target = onDataset ? this.dataset(onDataset) : this.dataset(criterion.datasetId);
    const runs = this.repos.runs.list(criterion.id);
    const calibration = measuringRun(runs, criterion.datasetId, { versionId: version.id, split: 'test' });
    if (!calibration) throw new ValidationError('version', `version ${versionNumber} has no run on the labelled test split; run it first: concur run --dataset ${shellQuote(this.dataset(criterion.datasetId).name)} --criterion ${shellQuote(criterion.name)} --version ${versionNumber} --split test`, 'no_test_run');
    const labelled = this.outcomes(criterion, calibration, 'test', criterion.principalAnnotator).filter((o) => !o.excluded)
      .map((o) => ({ expertPass: isPass(o.expert!, criterion)!, judgePass: isPass(o.judge!, criterion)! }));
    const labels = this.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator);
    // unlabelled items the version judged on the target dataset (every item, not only the labelled ones)
    const pool = runs.filter((r) => r.versionId === version.id && r.datasetId === target.id && r.scope === 'all' && hasResults(r) && !isConsistencyRerun(r));
    const unlabelled = new Map<number, boolean>();
    for (const r of pool) {
      for (const o of this.outcomes(criterion, r, 'all', criterion.principalAnnotator)) {
        if (o.judge === null || (target.id === criterion.datasetId && labels.has(o.item.id))) continue;
        unlabelled.set(o.item.id, isPass(o.judge, criterion)!);
      }
    }
    if (!unlabelled.size) {
      throw new ValidationError('on', `version ${versionNumber} has not judged any unlabelled items of "${target.name}"; run it first: concur run --dataset ${shellQuote(this.dataset(criterion.datasetId).name)} --criterion ${shellQuote(criterion.name)} --version ${versionNumber} --on ${shellQuote(target.name)} --split all`, 'not_judged_on');
    }
    const r = correctedPassRate({ labelled, unlabelledJudgePass: [...unlabelled.values()] }, opts);
    return { version: versionNumber, on: target.name, calibrationRun: calibration.id, labelled: labelled.length, unlabelled: unlabelled.size, ...r };
  }
}

export { LabelConflictError };

/**
 * The split in which labelled items the run has no place for count as notJudged: the report's
 * split within the run's own split (a dev run measured on "all" owes only dev items); null when
 * they do not (the run judged another dataset, or the two splits do not meet).
 */
export function missingSplit(criterion: Criterion, run: Run, split: SplitFilter): SplitFilter | null {
  if (run.datasetId !== criterion.datasetId) return null;
  if (run.split === 'all') return split;
  if (split === 'all' || split === run.split) return run.split;
  return null;
}
