/**
 * One expert's review session on one criterion: the queue, the item on screen, the draft being
 * written, and saving with the optimistic-concurrency guard. Unsaved drafts survive moving
 * around the queue; a save that lost a race keeps the expert's text and shows the other version.
 */
import { api, ApiError, errorText } from './api.ts';
import { readDraft, writeDraft, type Draft } from './drafts.ts';
import type { Criterion, CriterionDetail, Item, Label, QueueEntry, Split } from './types.ts';

export type { Draft };
export interface QueueFilter { split: string; dimension: string; value: string; order: 'unlabelled' | 'dataset' }

const emptyDraft = (): Draft => ({ verdict: null, critique: '', ambiguous: false });
const draftOf = (l: Label | null): Draft => (l ? { verdict: l.verdict, critique: l.critique, ambiguous: l.ambiguous } : emptyDraft());
const same = (a: Draft, b: Draft) => a.verdict === b.verdict && a.critique === b.critique && a.ambiguous === b.ambiguous;

export class ReviewSession {
  queue = $state.raw<QueueEntry[] | null>(null);
  index = $state(0);
  item = $state.raw<Item | null>(null);
  history = $state.raw<Label[]>([]);
  /** the principal expert's current label as last seen: the `expectedId` of the next save */
  current = $state.raw<Label | null>(null);
  draft = $state<Draft>(emptyDraft());
  detail = $state.raw<CriterionDetail | null>(null);
  loadingItem = $state(false);
  saving = $state(false);
  error = $state('');
  saveError = $state('');
  /** the failed save may succeed if tried again (the workspace was busy); the draft is kept meanwhile */
  saveRetryable = $state(false);
  /** set when a save found someone else's newer label: theirs is shown, ours is kept in the form */
  conflict = $state.raw<{ theirs: Label | null } | null>(null);
  savedAt = $state<string | null>(null);

  private itemRequest = 0;
  /** the queue or item load in flight (see `settled`) */
  private loading: Promise<void> = Promise.resolve();

  dirty = $derived(!same(this.draft, draftOf(this.current)));
  canSave = $derived(this.draft.verdict !== null || this.draft.ambiguous);
  entry = $derived(this.queue?.[this.index] ?? null);

  constructor(readonly criterion: Criterion) {}

  async loadProgress() {
    try { this.detail = await api.criterion(this.criterion.id); } catch (e) { this.error = errorText(e); }
  }

  /** Loads the queue for a filter and opens `itemId` if it is in it, else the first item. */
  loadQueue(filter: QueueFilter, itemId: number | null): Promise<void> {
    const p = this.fetchQueue(filter, itemId);
    this.loading = p;
    return p;
  }

  /** Resolves once no queue or item load is in flight: keys typed meanwhile wait for it. */
  async settled() {
    let p: Promise<void>;
    do { p = this.loading; await p; } while (p !== this.loading);
  }

  private async fetchQueue(filter: QueueFilter, itemId: number | null) {
    this.error = '';
    try {
      const { items } = await api.queue(this.criterion.id, {
        split: filter.split, dimension: filter.dimension && filter.value ? filter.dimension : '', value: filter.dimension ? filter.value : '', order: filter.order,
      });
      this.queue = items;
      const at = itemId !== null ? items.findIndex((i) => i.id === itemId) : -1;
      this.index = Math.max(0, at);
      if (items.length) await this.open(this.index);
      else this.item = null;
    } catch (e) {
      this.error = errorText(e);
    }
  }

  private open(index: number): Promise<void> {
    const p = this.fetchItem(index);
    this.loading = p;
    return p;
  }

  private async fetchItem(index: number) {
    const entry = this.queue?.[index];
    if (!entry) return;
    const mine = ++this.itemRequest;
    this.index = index;
    this.loadingItem = true;
    this.conflict = null;
    this.saveError = '';
    this.saveRetryable = false;
    this.savedAt = null;
    try {
      const [item, history] = await Promise.all([api.item(entry.id), api.labelHistory(this.criterion.id, entry.id)]);
      if (mine !== this.itemRequest) return; // the expert already moved on
      this.item = item;
      this.history = history;
      this.current = latestOf(history, this.criterion.principalAnnotator);
      this.draft = readDraft(this.criterion.id, entry.id) ?? draftOf(this.current);
    } catch (e) {
      if (mine === this.itemRequest) this.error = errorText(e);
    } finally {
      if (mine === this.itemRequest) this.loadingItem = false;
    }
  }

  /** Moves to another queue position, saving first when there is something to save. */
  async go(index: number): Promise<boolean> {
    if (!this.queue || index < 0 || index >= this.queue.length || this.saving) return false;
    if (this.item && this.dirty) {
      // Saveable drafts are saved on the way; others stay in the draft store (persistDraft).
      if (this.canSave && !(await this.save())) return false; // a conflict or error keeps the expert here
    }
    await this.open(index);
    return true;
  }

  next() { return this.go(this.index + 1); }
  previous() { return this.go(this.index - 1); }

  setVerdict(v: string) { this.draft.verdict = v; }
  toggleAmbiguous() { this.draft.ambiguous = !this.draft.ambiguous; }

  /** Saves the draft against the label last seen; on 409 keeps the draft and records theirs. */
  async save(overrideExpected?: number | null): Promise<boolean> {
    const item = this.item;
    if (!item || !this.canSave || this.saving) return false;
    this.saving = true;
    this.saveError = '';
    this.saveRetryable = false;
    const expectedId = overrideExpected !== undefined ? overrideExpected : (this.current?.id ?? null);
    try {
      const label = await api.saveLabel(this.criterion.id, {
        itemId: item.id, verdict: this.draft.verdict, critique: this.draft.critique, ambiguous: this.draft.ambiguous, expectedId,
      });
      const wasLabelled = this.current !== null;
      this.current = label;
      this.history = [...this.history, label];
      // Others may have written in between (a resolved conflict): show the full history.
      api.labelHistory(this.criterion.id, item.id).then((h) => { if (this.item?.id === item.id) this.history = h; }, () => { /* keep the local one */ });
      this.conflict = null;
      writeDraft(this.criterion.id, item.id, null);
      this.savedAt = label.createdAt;
      this.markStatus(item.id, item.split, label, wasLabelled);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        this.conflict = { theirs: (e.body?.current as Label | null | undefined) ?? null };
      } else {
        this.saveError = errorText(e);
        this.saveRetryable = e instanceof ApiError && e.body?.retryable === true;
      }
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** Conflict resolution: write ours over theirs, knowingly. */
  overwrite() {
    if (!this.conflict) return Promise.resolve(false);
    return this.save(this.conflict.theirs?.id ?? null);
  }

  /** Conflict resolution: drop ours and continue from theirs. */
  async takeTheirs() {
    const theirs = this.conflict?.theirs ?? null;
    this.conflict = null;
    if (this.item) writeDraft(this.criterion.id, this.item.id, null);
    this.current = theirs;
    this.draft = draftOf(theirs);
    if (this.item) this.history = await api.labelHistory(this.criterion.id, this.item.id).catch(() => this.history);
  }

  /** Mirrors the item's draft into the draft store while it differs from the saved label. */
  persistDraft() {
    const item = this.item;
    if (!item) return;
    const draft = { verdict: this.draft.verdict, critique: this.draft.critique, ambiguous: this.draft.ambiguous };
    writeDraft(this.criterion.id, item.id, this.dirty ? draft : null);
  }

  private markStatus(itemId: number, split: Split, label: Label, wasLabelled: boolean) {
    if (this.queue) {
      this.queue = this.queue.map((q) => (q.id === itemId ? { ...q, status: label.ambiguous ? 'ambiguous' : 'labelled' } : q));
    }
    if (this.detail && !wasLabelled) {
      const p = this.detail.progress[split];
      this.detail = { ...this.detail, progress: { ...this.detail.progress, [split]: { ...p, labelled: p.labelled + 1 } } };
    }
  }
}

function latestOf(history: Label[], annotator: string): Label | null {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.annotator === annotator) return history[i]!;
  return null;
}
