import { diffArrays } from 'diff';

/** One line of a line diff: kept, added (only in the new text) or removed (only in the old). */
export interface DiffLine { kind: 'same' | 'add' | 'del'; text: string; oldNo: number | null; newNo: number | null }

/**
 * Past this many differing lines the diff gives up on a minimal edit script and shows the old
 * text removed and the new text added, rather than freezing the page (jsdiff's Myers diff is
 * O((n + m) · d) for d differing lines).
 */
const MAX_EDIT_LENGTH = 5_000;

/** Line diff of two texts (jsdiff's Myers diff on their lines), numbered on both sides. */
export function lineDiff(oldText: string, newText: string): DiffLine[] {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  const changes = diffArrays(a, b, { maxEditLength: MAX_EDIT_LENGTH })
    ?? [{ value: a, removed: true, added: false, count: a.length }, { value: b, added: true, removed: false, count: b.length }];
  const out: DiffLine[] = [];
  let oldNo = 1, newNo = 1;
  for (const c of changes) {
    // one line at a time, not out.push(...lines): a long template must not overflow the call stack
    for (const text of c.value) {
      if (c.added) out.push({ kind: 'add', text, oldNo: null, newNo: newNo++ });
      else if (c.removed) out.push({ kind: 'del', text, oldNo: oldNo++, newNo: null });
      else out.push({ kind: 'same', text, oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return out;
}

export function diffStats(lines: DiffLine[]) {
  let added = 0, removed = 0;
  for (const l of lines) {
    if (l.kind === 'add') added++;
    else if (l.kind === 'del') removed++;
  }
  return { added, removed };
}
