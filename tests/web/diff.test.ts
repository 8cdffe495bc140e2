import { describe, expect, it } from 'vitest';
import { diffStats, lineDiff } from '../../web/src/lib/diff.ts';

/** The Prompt diff and Compare template diff (DiffView): jsdiff underneath, numbered lines on both sides. */
describe('lineDiff', () => {
  it('keeps, removes and adds lines with their old and new line numbers', () => {
    const lines = lineDiff('a\nb\nc\nd', 'a\nc\nd\ne');
    expect(lines).toEqual([
      { kind: 'same', text: 'a', oldNo: 1, newNo: 1 },
      { kind: 'del', text: 'b', oldNo: 2, newNo: null },
      { kind: 'same', text: 'c', oldNo: 3, newNo: 2 },
      { kind: 'same', text: 'd', oldNo: 4, newNo: 3 },
      { kind: 'add', text: 'e', oldNo: null, newNo: 4 },
    ]);
    expect(diffStats(lines)).toEqual({ added: 1, removed: 1 });
  });

  it('finds identical texts identical, including empty ones', () => {
    expect(diffStats(lineDiff('x\ny\n', 'x\ny\n'))).toEqual({ added: 0, removed: 0 });
    expect(lineDiff('', '')).toEqual([{ kind: 'same', text: '', oldNo: 1, newNo: 1 }]);
  });

  it('diffs a 300,000-line rewrite without overflowing the call stack (no data-sized spread)', () => {
    const n = 300_000;
    const before = Array.from({ length: n }, (_, i) => `old ${i}`).join('\n');
    const after = Array.from({ length: n }, (_, i) => `new ${i}`).join('\n');
    const lines = lineDiff(before, after);
    expect(diffStats(lines)).toEqual({ added: n, removed: n });
    expect(lines[0]).toEqual({ kind: 'del', text: 'old 0', oldNo: 1, newNo: null });
    expect(lines.at(-1)).toEqual({ kind: 'add', text: `new ${n - 1}`, oldNo: null, newNo: n });
  });
});
