/** One line of a line diff: kept, added (only in the new text) or removed (only in the old). */
export interface DiffLine { kind: 'same' | 'add' | 'del'; text: string; oldNo: number | null; newNo: number | null }

/**
 * Line diff by longest common subsequence (dynamic programming, O(n·m) time and memory).
 * Prompt templates are a few hundred lines at most, so the simple exact algorithm is enough;
 * past MAX_CELLS the middle is shown as a full replacement rather than freezing the page.
 */
const MAX_CELLS = 4_000_000;

export function lineDiff(oldText: string, newText: string): DiffLine[] {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  // Trim the common head and tail first: most edits touch a few lines.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ kind: 'same', text: a[i]!, oldNo: i + 1, newNo: i + 1 });
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  out.push(...middle(am, bm, head));
  for (let k = tail; k > 0; k--) {
    out.push({ kind: 'same', text: a[a.length - k]!, oldNo: a.length - k + 1, newNo: b.length - k + 1 });
  }
  return out;
}

function middle(a: string[], b: string[], offset: number): DiffLine[] {
  const n = a.length, m = b.length;
  if (n * m > MAX_CELLS) {
    return [
      ...a.map((text, i) => ({ kind: 'del' as const, text, oldNo: offset + i + 1, newNo: null })),
      ...b.map((text, j) => ({ kind: 'add' as const, text, oldNo: null, newNo: offset + j + 1 })),
    ];
  }
  // lcs[i][j] = length of the LCS of a[i:] and b[j:]
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { out.push({ kind: 'same', text: a[i]!, oldNo: offset + i + 1, newNo: offset + j + 1 }); i++; j++; }
    else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) { out.push({ kind: 'del', text: a[i]!, oldNo: offset + i + 1, newNo: null }); i++; }
    else { out.push({ kind: 'add', text: b[j]!, oldNo: null, newNo: offset + j + 1 }); j++; }
  }
  return out;
}

export function diffStats(lines: DiffLine[]) {
  return { added: lines.filter((l) => l.kind === 'add').length, removed: lines.filter((l) => l.kind === 'del').length };
}
