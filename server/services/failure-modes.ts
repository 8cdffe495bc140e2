/**
 * Failure modes of the product, the critique-shadowing way: open coding (the expert's free-form
 * tags on failing items), axial coding (grouping the critiques of failing train and dev items into
 * named modes, which the user edits and accepts), rates by slice, and specialised criteria made
 * from a mode with *suggested* labels.
 *
 * Test items never take part: grouping reads train and dev only, and accepting refuses test items.
 */
import type { Workspace } from './workspace.ts';
import type { Criterion, Item, Label, Split } from '../../shared/types.ts';
import type { FailureMode } from '../db/failureModes.ts';
import { tagKey, tagText } from '../db/failureModes.ts';
import { isPass } from '../../shared/verdicts.ts';
import { failureModeRates, type ModeRates } from '../../shared/metrics/failure-mode-rates.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import type { RunEngine, TaskEndpoint } from '../judge/engine.ts';

/** One failing item's critique as a grouper sees it. */
export interface CritiqueEntry { itemId: number; externalId: string; split: Split; critique: string; tags: string[] }

/** What a grouper proposes (the same shape for tag grouping and, later, a model's `concur_failure_modes` reply). */
export interface Proposal { modes: Array<{ name: string; definition: string; items: number[] }> }

/**
 * Turns critiques into proposed modes. The tag grouper needs no endpoint; a model-backed grouper
 * (sending the `## Critiques` request of docs/stand-in.md to an endpoint profile) plugs in here and
 * maps the item ids of the reply back through `externalId`.
 */
export interface FailureModeGrouper {
  source: 'tags' | 'model';
  propose(entries: CritiqueEntry[]): Promise<Proposal>;
}

/** Splits failure modes may be built from: never test. */
export const GROUPABLE_SPLITS: readonly Split[] = ['train', 'dev'];

/**
 * Groups by the experts' own tags: each distinct tag (case and whitespace normalised) becomes a mode
 * named by its most used spelling, with the items that carry it (an item with two tags is in two modes).
 * Order: modes by size (descending), then name; items in entry order.
 */
export const tagGrouper: FailureModeGrouper = {
  source: 'tags',
  async propose(entries) {
    const byKey = new Map<string, { spellings: Map<string, number>; items: number[] }>();
    for (const e of entries) {
      for (const tag of e.tags) {
        const key = tagKey(tag);
        let g = byKey.get(key);
        if (!g) { g = { spellings: new Map(), items: [] }; byKey.set(key, g); }
        g.spellings.set(tag, (g.spellings.get(tag) ?? 0) + 1);
        if (!g.items.includes(e.itemId)) g.items.push(e.itemId);
      }
    }
    const modes = [...byKey.values()].map((g) => {
      const name = [...g.spellings.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
      return { name, definition: `Items the expert tagged "${name}".`, items: g.items };
    });
    modes.sort((a, b) => b.items.length - a.items.length || a.name.localeCompare(b.name));
    return { modes };
  },
};

/**
 * Groups by a model (axial coding): sends the critiques as the `## Critiques` request of
 * docs/stand-in.md through the engine (a recorded, cached, resumable `group-critiques` task, which
 * itself refuses any item outside train and dev) and maps the reply's item ids back to items.
 */
export function modelGrouper(engine: RunEngine, criterion: Criterion, endpoint: GroupEndpoint): FailureModeGrouper {
  return {
    source: 'model',
    async propose(entries) {
      if (!entries.length) return { modes: [] };
      const g = await engine.groupCritiques({
        criterionId: criterion.id, criterion: { name: criterion.name, description: criterion.description },
        critiques: entries.map((e) => ({ itemId: e.itemId, critique: e.critique, tags: e.tags })),
      }, endpoint);
      return { modes: g.modes };
    },
  };
}

/** Where a model grouping goes: a model and endpoint, or an endpoint profile by name (its default model unless `model` names one). */
export type GroupEndpoint = TaskEndpoint & { profile?: string | null };

export interface ProposalResult extends Proposal {
  source: 'tags' | 'model';
  splits: Split[];
  /** every failing train/dev item considered, so the user can reassign any of them */
  critiques: CritiqueEntry[];
  /** considered items no proposed mode holds */
  unassigned: number[];
}

export interface AcceptInput { modes: Proposal['modes']; source?: 'tags' | 'model'; splits?: Split[]; by: string }

export interface ModeView extends FailureMode { itemDetails: Array<{ id: number; externalId: string; split: Split; dimensions: Record<string, string>; critique: string }> }

export class FailureModes {
  constructor(private readonly ws: Workspace) {}
  private get repos() { return this.ws.repos; }

  // ── open coding ──────────────────────────────────────────────────────────────────────────────

  tags(criterion: Criterion, itemId: number) {
    return this.repos.failureModes.tagsOfItem(criterion.id, this.itemOf(criterion, itemId).id);
  }

  /** Tags a failing item (its current expert label fails); the tag is trimmed and whitespace-collapsed. */
  addTag(criterion: Criterion, itemId: number, tag: string, annotator?: string) {
    const item = this.itemOf(criterion, itemId);
    const text = tagText(tag);
    if (!text) throw new ValidationError('tag', 'must not be empty');
    if (text.length > 100) throw new ValidationError('tag', 'must be at most 100 characters');
    this.requireScale(criterion);
    const who = annotator || criterion.principalAnnotator;
    const label = this.repos.labels.latest(criterion.id, item.id, who);
    if (!label || label.ambiguous || label.verdict === null || isPass(label.verdict, criterion)) {
      throw new ConflictError(`failure-mode tags go on failing items: save a failing label for item "${item.externalId}" first`, 'not_failing');
    }
    this.repos.failureModes.addTag(criterion.id, item.id, text, who);
    return this.tags(criterion, item.id);
  }

  removeTag(criterion: Criterion, itemId: number, tag: string) {
    const item = this.itemOf(criterion, itemId);
    this.repos.failureModes.removeTag(criterion.id, item.id, tag);
    return this.tags(criterion, item.id);
  }

  /** Tags used before on this criterion, with how many items carry each (most used first). */
  vocabulary(criterion: Criterion) {
    return this.repos.failureModes.vocabulary(criterion.id);
  }

  // ── axial coding ─────────────────────────────────────────────────────────────────────────────

  /** The critiques of failing train/dev items (current, non-ambiguous expert labels), never test. */
  critiques(criterion: Criterion, splits: readonly Split[] = GROUPABLE_SPLITS): CritiqueEntry[] {
    const allowed = this.splitsOf(splits);
    const labels = this.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator);
    const tags = new Map<number, string[]>();
    for (const t of this.repos.failureModes.tags(criterion.id)) {
      const list = tags.get(t.itemId);
      if (list) list.push(t.tag); else tags.set(t.itemId, [t.tag]);
    }
    const out: CritiqueEntry[] = [];
    for (const item of this.repos.items.all(criterion.datasetId)) {
      if (!allowed.includes(item.split)) continue;
      const l = labels.get(item.id);
      if (!this.failing(l, criterion)) continue;
      out.push({ itemId: item.id, externalId: item.externalId, split: item.split, critique: l!.critique, tags: tags.get(item.id) ?? [] });
    }
    return out;
  }

  /** Proposes modes (by tags unless another grouper is given) and keeps the proposal as the pending one. */
  async group(criterion: Criterion, opts: { by: string; splits?: Split[]; grouper?: FailureModeGrouper; model?: GroupEndpoint }): Promise<ProposalResult> {
    this.requireScale(criterion);
    const splits = this.splitsOf(opts.splits ?? GROUPABLE_SPLITS);
    // With a model (and optionally an endpoint) the critiques go to it; without, the experts' tags decide.
    const grouper = opts.grouper ?? (opts.model ? modelGrouper(this.ws.engine, criterion, opts.model) : tagGrouper);
    // An unknown profile, or one whose key may not go to its URL, fails here, before anything is sent.
    if (opts.model && !opts.grouper) {
      const e = this.ws.engine.taskEndpoint(opts.model);
      const problem = this.ws.engine.endpointOf({ baseUrl: e.baseUrl ?? null, apiKeyEnv: e.apiKeyEnv === undefined ? 'OPENAI_API_KEY' : e.apiKeyEnv === 'none' ? '' : e.apiKeyEnv }).problem;
      if (problem) throw new ValidationError(opts.model.profile ? 'profile' : 'apiKeyEnv', problem, 'key_not_allowed');
      if (!e.model?.trim()) throw new ValidationError('model', opts.model.profile ? `endpoint profile "${opts.model.profile}" has no default model: name one (--model M)` : 'name the model to group with');
    }
    const critiques = this.critiques(criterion, splits);
    const proposal = await grouper.propose(critiques);
    // A grouper can only assign the items it was given (so never a test item), each once per mode.
    const considered = new Set(critiques.map((c) => c.itemId));
    const modes = proposal.modes.map((m) => ({ name: m.name, definition: m.definition, items: [...new Set(m.items)].filter((id) => considered.has(id)) }))
      .filter((m) => m.items.length > 0);
    this.repos.failureModes.saveModes(criterion.id, modes, { by: opts.by, splits, source: grouper.source, accepted: false });
    const assigned = new Set(modes.flatMap((m) => m.items));
    return { source: grouper.source, splits, modes, critiques, unassigned: critiques.filter((c) => !assigned.has(c.itemId)).map((c) => c.itemId) };
  }

  /** The pending proposal (from the last `group`), as the CLI's `accept` takes it. */
  pending(criterion: Criterion): { source: 'tags' | 'model'; splits: Split[]; modes: Proposal['modes'] } | null {
    const modes = this.repos.failureModes.pending(criterion.id);
    if (!modes.length) return null;
    return { source: modes[0]!.source, splits: modes[0]!.builtFromSplits, modes: modes.map((m) => ({ name: m.name, definition: m.definition, items: m.items })) };
  }

  /**
   * Accepts edited modes: names non-empty and distinct (also from modes accepted before), each with
   * at least one item, every item a failing train/dev item of the criterion. All or nothing.
   */
  accept(criterion: Criterion, input: AcceptInput): FailureMode[] {
    this.requireScale(criterion);
    if (!input.by?.trim()) throw new ValidationError('by', 'name who accepts the failure modes');
    if (!input.modes.length) throw new ValidationError('modes', 'accept at least one failure mode');
    const splits = this.splitsOf(input.splits ?? GROUPABLE_SPLITS);
    const labels = this.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator);
    const seen = new Set<string>();
    const modes = input.modes.map((m, i) => {
      const name = tagText(m.name);
      if (!name) throw new ValidationError(`modes[${i}].name`, 'must not be empty');
      if (name.length > 200) throw new ValidationError(`modes[${i}].name`, 'must be at most 200 characters');
      const key = tagKey(name);
      if (seen.has(key)) throw new ValidationError(`modes[${i}].name`, `"${name}" is used twice: merge the two modes or rename one`);
      seen.add(key);
      if (this.repos.failureModes.acceptedNamed(criterion.id, name) !== null) throw new ValidationError(`modes[${i}].name`, `a failure mode "${name}" was already accepted for this criterion`);
      const items = [...new Set(m.items)];
      if (!items.length) throw new ValidationError(`modes[${i}].items`, `"${name}" has no items`);
      for (const id of items) {
        const item = this.repos.items.get(id);
        if (!item || item.datasetId !== criterion.datasetId) throw new ValidationError(`modes[${i}].items`, `no item #${id} in this criterion's dataset`);
        if (!splits.includes(item.split)) throw new ValidationError(`modes[${i}].items`, `item "${item.externalId}" is a ${item.split} item: failure modes are built from ${splits.join(' and ')} items only`);
        if (!this.failing(labels.get(item.id), criterion)) throw new ValidationError(`modes[${i}].items`, `item "${item.externalId}" has no current failing expert label`);
      }
      return { name, definition: m.definition.trim(), items };
    });
    return this.repos.failureModes.saveModes(criterion.id, modes, { by: input.by.trim(), splits, source: input.source ?? 'tags', accepted: true });
  }

  list(criterion: Criterion): ModeView[] {
    const labels = this.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator);
    return this.repos.failureModes.accepted(criterion.id).map((m) => this.view(m, labels));
  }

  mode(id: number): { mode: ModeView; criterion: Criterion } {
    const m = this.repos.failureModes.mode(id);
    if (!m || !m.accepted) throw new NotFoundError(`no accepted failure mode #${id}`);
    const criterion = this.ws.criterionById(m.criterionId);
    return { mode: this.view(m, this.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator)), criterion };
  }

  /**
   * Rates of every accepted mode by split and dimension value. Population of a mode: items with a
   * current, non-ambiguous expert label in the splits the mode was built from.
   */
  rates(criterion: Criterion): Array<ModeRates & { splits: Split[]; population: string }> {
    const labels = this.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator);
    const items = this.repos.items.all(criterion.datasetId).filter((i) => { const l = labels.get(i.id); return l && !l.ambiguous && l.verdict !== null; });
    return this.repos.failureModes.accepted(criterion.id).map((m) => {
      const population = items.filter((i) => m.builtFromSplits.includes(i.split));
      const [r] = failureModeRates(population, [{ id: m.id, name: m.name, items: m.items }]);
      return { ...r!, splits: m.builtFromSplits, population: `items with a current, non-ambiguous expert label in ${m.builtFromSplits.join('+')} (n = ${population.length})` };
    });
  }

  // ── specialised judges ───────────────────────────────────────────────────────────────────────

  /**
   * A binary criterion of its own for a mode, on the same dataset, with SUGGESTED labels: the mode's
   * items fail (critique = the definition + the item's critique); items the expert passed, and
   * failing items of the mode's splits left out of it, pass. Failing items the grouping never saw
   * (test) get no suggestion. Suggestions are not labels: no metric counts them until confirmed.
   */
  makeCriterion(modeId: number, opts: { name?: string } = {}) {
    const { mode, criterion: parent } = this.mode(modeId);
    if (mode.specialisedCriterionId !== null && this.repos.criteria.get(mode.specialisedCriterionId)) {
      throw new ConflictError(`failure mode "${mode.name}" already has its criterion #${mode.specialisedCriterionId}`, 'criterion_exists');
    }
    const name = (opts.name ?? mode.name).trim();
    const labels = this.repos.labels.currentByItem(parent.id, parent.principalAnnotator);
    const assigned = new Set(mode.items);
    const suggestions: Array<{ itemId: number; verdict: string; critique: string }> = [];
    for (const item of this.repos.items.all(parent.datasetId)) {
      const l = labels.get(item.id);
      if (!l || l.ambiguous || l.verdict === null) continue;
      if (assigned.has(item.id)) suggestions.push({ itemId: item.id, verdict: 'fail', critique: `${mode.definition}\n\n${l.critique}`.trim() });
      else if (isPass(l.verdict, parent)) suggestions.push({ itemId: item.id, verdict: 'pass', critique: '' });
      else if (mode.builtFromSplits.includes(item.split)) suggestions.push({ itemId: item.id, verdict: 'pass', critique: `Not assigned to "${mode.name}" when the failure modes were accepted (it fails "${parent.name}" for another reason).` });
    }
    return this.repos.db.transaction(() => {
      const criterion = this.ws.addCriterion(parent.datasetId, {
        name, description: `Failure mode "${mode.name}" of "${parent.name}": ${mode.definition}`, scale: 'binary',
        principalAnnotator: parent.principalAnnotator, targetAgreement: parent.targetAgreement,
      });
      this.repos.failureModes.addSuggested(criterion.id, suggestions, mode.id);
      this.repos.failureModes.setSpecialised(mode.id, criterion.id);
      return { criterion, suggested: { fail: suggestions.filter((s) => s.verdict === 'fail').length, pass: suggestions.filter((s) => s.verdict === 'pass').length } };
    })();
  }

  /** Suggested labels of a criterion; `pending` while the expert has not labelled the item. */
  suggestions(criterion: Criterion) {
    const labels = this.repos.labels.currentByItem(criterion.id, criterion.principalAnnotator);
    return this.repos.failureModes.suggested(criterion.id).map((s) => ({ ...s, pending: !labels.has(s.itemId) }));
  }

  /** Confirms a suggestion: writes it as an ordinary label of the expert (with the usual concurrency guard). */
  confirmSuggestion(criterion: Criterion, itemId: number, input: { annotator?: string; expectedId: number | null }): Label {
    const s = this.repos.failureModes.suggestedFor(criterion.id, itemId);
    if (!s) throw new NotFoundError(`no suggested label for item #${itemId} on "${criterion.name}"`);
    return this.ws.saveLabel(criterion, { itemId, annotator: input.annotator, verdict: s.verdict, critique: s.critique, ambiguous: false, expectedId: input.expectedId });
  }

  // ── helpers ──────────────────────────────────────────────────────────────────────────────────

  private view(m: FailureMode, labels: Map<number, Label>): ModeView {
    return {
      ...m,
      itemDetails: m.items.map((id) => {
        const i = this.repos.items.get(id)!;
        return { id, externalId: i.externalId, split: i.split, dimensions: i.dimensions, critique: labels.get(id)?.critique ?? '' };
      }),
    };
  }

  private itemOf(criterion: Criterion, itemId: number): Item {
    const item = this.ws.item(itemId);
    if (item.datasetId !== criterion.datasetId) throw new ValidationError('itemId', 'the item is not in this criterion\'s dataset');
    return item;
  }

  private failing(l: Label | undefined, criterion: Criterion): boolean {
    return Boolean(l && !l.ambiguous && l.verdict !== null && isPass(l.verdict, criterion) === false);
  }

  private splitsOf(splits: readonly Split[]): Split[] {
    const out = [...new Set(splits)];
    for (const s of out) if (!GROUPABLE_SPLITS.includes(s)) throw new ValidationError('splits', `failure modes are built from train and dev items only, never ${s}`);
    if (!out.length) throw new ValidationError('splits', 'name train, dev or both');
    return (['train', 'dev'] as Split[]).filter((s) => out.includes(s));
  }

  private requireScale(criterion: Criterion) {
    if (criterion.scale === 'pairwise') throw new ValidationError('criterion', 'failure modes apply to pass/fail (binary or ordinal) criteria');
  }
}
