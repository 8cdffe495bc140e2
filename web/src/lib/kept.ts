/**
 * "Keep label (judge wrong)" needs no server change: the label stands. The UI remembers, per
 * run, which disagreements the expert already looked at so they drop out of the to-do list.
 */
const key = (criterionId: number, runId: number) => `concur.kept.${criterionId}.${runId}`;

export function readKept(criterionId: number, runId: number): Set<number> {
  try {
    const raw = localStorage.getItem(key(criterionId, runId));
    return new Set(raw ? (JSON.parse(raw) as number[]) : []);
  } catch { return new Set(); }
}

export function writeKept(criterionId: number, runId: number, ids: Set<number>) {
  try { localStorage.setItem(key(criterionId, runId), JSON.stringify([...ids])); } catch { /* not remembered */ }
}
