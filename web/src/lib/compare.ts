import { mcnemarExact } from '../../../shared/stats/mcnemar.ts';
import type { OutcomeRow } from './types.ts';
import { compared } from './outcomes.ts';

export interface ItemChange { itemId: number; externalId: string; expert: string; before: string; after: string; dimensions: Record<string, string> }

/**
 * Two runs on the same items: which items the newer judge fixed (wrong before, right now) and
 * which it regressed (right before, wrong now), over items compared in both runs, with the
 * exact McNemar test on those two counts.
 */
export function compareOutcomes(before: OutcomeRow[], after: OutcomeRow[]) {
  const a = new Map(compared(before).map((o) => [o.itemId, o]));
  const fixed: ItemChange[] = [];
  const regressed: ItemChange[] = [];
  let common = 0, bothRight = 0, bothWrong = 0;
  for (const o of compared(after)) {
    const prev = a.get(o.itemId);
    if (!prev) continue;
    common++;
    const wasRight = prev.judge === o.expert, isRight = o.judge === o.expert;
    const change = { itemId: o.itemId, externalId: o.externalId, expert: o.expert!, before: prev.judge!, after: o.judge!, dimensions: o.dimensions };
    if (!wasRight && isRight) fixed.push(change);
    else if (wasRight && !isRight) regressed.push(change);
    else if (wasRight) bothRight++;
    else bothWrong++;
  }
  return { common, fixed, regressed, bothRight, bothWrong, mcnemarP: mcnemarExact(fixed.length, regressed.length) };
}
