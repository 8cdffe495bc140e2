/**
 * Unsaved label drafts live in sessionStorage, per criterion and item: moving to another
 * item or screen, or reloading the tab, never loses what the expert typed.
 */
export interface Draft { verdict: string | null; critique: string; ambiguous: boolean }

const key = (criterionId: number, itemId: number) => `concur.draft.${criterionId}.${itemId}`;

export function readDraft(criterionId: number, itemId: number): Draft | null {
  try {
    const raw = sessionStorage.getItem(key(criterionId, itemId));
    return raw ? (JSON.parse(raw) as Draft) : null;
  } catch { return null; }
}

export function writeDraft(criterionId: number, itemId: number, draft: Draft | null) {
  try {
    if (draft) sessionStorage.setItem(key(criterionId, itemId), JSON.stringify(draft));
    else sessionStorage.removeItem(key(criterionId, itemId));
  } catch { /* storage unavailable: drafts live only in memory */ }
}
