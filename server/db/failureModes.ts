import type { DB } from './open.ts';
import type { Split } from '../../shared/types.ts';

/** A tag's grouping key: case and runs of whitespace do not make two tags different. */
export const tagKey = (tag: string): string => tag.trim().replace(/\s+/g, ' ').toLowerCase();
/** A tag as stored for display: trimmed, inner whitespace collapsed, case kept. */
export const tagText = (tag: string): string => tag.trim().replace(/\s+/g, ' ');

export interface FailureTag { itemId: number; tag: string; key: string; annotator: string; createdAt: string }

export interface FailureMode {
  id: number;
  criterionId: number;
  name: string;
  definition: string;
  createdBy: string;
  createdAt: string;
  builtFromSplits: Split[];
  source: 'tags' | 'model';
  accepted: boolean;
  specialisedCriterionId: number | null;
  /** item ids (internal) assigned to the mode */
  items: number[];
}

export interface NewFailureMode { name: string; definition: string; items: number[] }

export interface SuggestedLabel { criterionId: number; itemId: number; verdict: string; critique: string; fromModeId: number | null; createdAt: string }

interface ModeRow {
  id: number; criterion_id: number; name: string; definition: string; created_by: string; created_at: string;
  built_from_splits: string; source: 'tags' | 'model'; accepted: number; specialised_criterion_id: number | null;
}

/** Open-coded failure tags, failure modes with their items, and suggested labels. */
export function failureModesRepository(db: DB) {
  const addTag = db.prepare(`INSERT OR IGNORE INTO failure_tags (criterion_id, item_id, tag, tag_key, annotator) VALUES (?, ?, ?, ?, ?)`);
  const removeTag = db.prepare(`DELETE FROM failure_tags WHERE criterion_id = ? AND item_id = ? AND tag_key = ?`);
  const tagsOfItem = db.prepare<[number, number], { item_id: number; tag: string; tag_key: string; annotator: string; created_at: string }>(
    `SELECT item_id, tag, tag_key, annotator, created_at FROM failure_tags WHERE criterion_id = ? AND item_id = ? ORDER BY id`);
  const tagsOfCriterion = db.prepare<[number], { item_id: number; tag: string; tag_key: string; annotator: string; created_at: string }>(
    `SELECT item_id, tag, tag_key, annotator, created_at FROM failure_tags WHERE criterion_id = ? ORDER BY id`);
  // The vocabulary: one row per key, shown in its most recent spelling, with how many items carry it.
  const vocabulary = db.prepare<[number], { tag: string; key: string; items: number }>(`
    SELECT (SELECT t2.tag FROM failure_tags t2 WHERE t2.criterion_id = t.criterion_id AND t2.tag_key = t.tag_key ORDER BY t2.id DESC LIMIT 1) AS tag,
      t.tag_key AS key, count(*) AS items
    FROM failure_tags t WHERE t.criterion_id = ? GROUP BY t.tag_key ORDER BY items DESC, key`);

  const insertMode = db.prepare(`INSERT INTO failure_modes (criterion_id, name, definition, created_by, built_from_splits, source, accepted)
    VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const insertModeItem = db.prepare(`INSERT OR IGNORE INTO failure_mode_items (mode_id, item_id) VALUES (?, ?)`);
  const modeById = db.prepare<[number], ModeRow>(`SELECT * FROM failure_modes WHERE id = ?`);
  const modesOf = db.prepare<[number, number], ModeRow>(`SELECT * FROM failure_modes WHERE criterion_id = ? AND accepted = ? ORDER BY id`);
  const acceptedByName = db.prepare<[number, string], { id: number }>(`SELECT id FROM failure_modes WHERE criterion_id = ? AND accepted = 1 AND name = ?`);
  const itemsOfMode = db.prepare<[number], { item_id: number }>(`SELECT item_id FROM failure_mode_items WHERE mode_id = ? ORDER BY item_id`);
  const deletePending = db.prepare(`DELETE FROM failure_modes WHERE criterion_id = ? AND accepted = 0`);
  const setSpecialised = db.prepare(`UPDATE failure_modes SET specialised_criterion_id = ? WHERE id = ?`);

  const insertSuggested = db.prepare(`INSERT OR REPLACE INTO suggested_labels (criterion_id, item_id, verdict, critique, from_mode_id) VALUES (?, ?, ?, ?, ?)`);
  const suggestedOf = db.prepare<[number], { criterion_id: number; item_id: number; verdict: string; critique: string; from_mode_id: number | null; created_at: string }>(
    `SELECT * FROM suggested_labels WHERE criterion_id = ? ORDER BY item_id`);
  const suggestedOne = db.prepare<[number, number], { criterion_id: number; item_id: number; verdict: string; critique: string; from_mode_id: number | null; created_at: string }>(
    `SELECT * FROM suggested_labels WHERE criterion_id = ? AND item_id = ?`);

  const toMode = (r: ModeRow): FailureMode => ({
    id: r.id, criterionId: r.criterion_id, name: r.name, definition: r.definition, createdBy: r.created_by, createdAt: r.created_at,
    builtFromSplits: r.built_from_splits.split(',').filter(Boolean) as Split[], source: r.source, accepted: r.accepted === 1,
    specialisedCriterionId: r.specialised_criterion_id, items: itemsOfMode.all(r.id).map((x) => x.item_id),
  });
  const toTag = (r: { item_id: number; tag: string; tag_key: string; annotator: string; created_at: string }): FailureTag =>
    ({ itemId: r.item_id, tag: r.tag, key: r.tag_key, annotator: r.annotator, createdAt: r.created_at });
  const toSuggested = (r: { criterion_id: number; item_id: number; verdict: string; critique: string; from_mode_id: number | null; created_at: string }): SuggestedLabel =>
    ({ criterionId: r.criterion_id, itemId: r.item_id, verdict: r.verdict, critique: r.critique, fromModeId: r.from_mode_id, createdAt: r.created_at });

  const saveModes = db.transaction((criterionId: number, modes: NewFailureMode[], meta: { by: string; splits: Split[]; source: 'tags' | 'model'; accepted: boolean }) => {
    deletePending.run(criterionId); // a new proposal replaces the pending one; accepting settles it
    const ids: number[] = [];
    for (const m of modes) {
      const id = Number(insertMode.run(criterionId, m.name, m.definition, meta.by, meta.splits.join(','), meta.source, meta.accepted ? 1 : 0).lastInsertRowid);
      for (const item of m.items) insertModeItem.run(id, item);
      ids.push(id);
    }
    return ids;
  });

  const repo = {
    addTag(criterionId: number, itemId: number, tag: string, annotator: string) { addTag.run(criterionId, itemId, tagText(tag), tagKey(tag), annotator); },
    removeTag: (criterionId: number, itemId: number, tag: string) => removeTag.run(criterionId, itemId, tagKey(tag)).changes > 0,
    tagsOfItem: (criterionId: number, itemId: number) => tagsOfItem.all(criterionId, itemId).map(toTag),
    tags: (criterionId: number) => tagsOfCriterion.all(criterionId).map(toTag),
    vocabulary: (criterionId: number) => vocabulary.all(criterionId),

    /** Stores modes: a pending proposal (replacing the previous one) or accepted modes (clearing the proposal). */
    saveModes(criterionId: number, modes: NewFailureMode[], meta: { by: string; splits: Split[]; source: 'tags' | 'model'; accepted: boolean }): FailureMode[] {
      return saveModes(criterionId, modes, meta).map((id) => toMode(modeById.get(id)!));
    },
    mode: (id: number) => { const r = modeById.get(id); return r ? toMode(r) : undefined; },
    accepted: (criterionId: number) => modesOf.all(criterionId, 1).map(toMode),
    pending: (criterionId: number) => modesOf.all(criterionId, 0).map(toMode),
    acceptedNamed: (criterionId: number, name: string) => acceptedByName.get(criterionId, name)?.id ?? null,
    setSpecialised(modeId: number, criterionId: number) { setSpecialised.run(criterionId, modeId); },

    addSuggested(criterionId: number, rows: Array<{ itemId: number; verdict: string; critique: string }>, fromModeId: number | null) {
      for (const r of rows) insertSuggested.run(criterionId, r.itemId, r.verdict, r.critique, fromModeId);
    },
    suggested: (criterionId: number) => suggestedOf.all(criterionId).map(toSuggested),
    suggestedFor: (criterionId: number, itemId: number) => { const r = suggestedOne.get(criterionId, itemId); return r ? toSuggested(r) : null; },
  };
  return repo;
}
