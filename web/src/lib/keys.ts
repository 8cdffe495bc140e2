import { verdictOptions } from '../../../shared/verdicts.ts';
import type { Criterion } from './types.ts';

/**
 * Keyboard shortcut per verdict: binary p/f, pairwise 1/2/t (A, B, tie), ordinal the digits
 * 1..levels (up to 9). `a` stays free for "ambiguous" on every scale.
 */
export function verdictKeys(c: Pick<Criterion, 'scale' | 'levels' | 'passAt'>): Record<string, string> {
  if (c.scale === 'binary') return { pass: 'p', fail: 'f' };
  if (c.scale === 'pairwise') return { A: '1', B: '2', tie: 't' };
  return Object.fromEntries(verdictOptions(c).filter((v) => Number(v) <= 9).map((v) => [v, v]));
}

/** The verdict a key press stands for, if any. */
export function verdictForKey(c: Pick<Criterion, 'scale' | 'levels' | 'passAt'>, key: string): string | null {
  const k = key.toLowerCase();
  for (const [verdict, shortcut] of Object.entries(verdictKeys(c))) if (shortcut === k) return verdict;
  return null;
}

/** True when the key event comes from a place where typing must not trigger shortcuts. */
export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  return t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName);
}
