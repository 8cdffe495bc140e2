import { api } from './api.ts';
import type { Criterion, Item, LabelledItem } from './types.ts';

/** A few-shot example as the editor holds it: the item and the expert's verdict and critique. */
export interface ExampleChoice { item: Item; verdict: string; critique: string }

export function choiceOf(item: LabelledItem): ExampleChoice | null {
  const l = item.label;
  return l?.verdict && !l.ambiguous ? { item, verdict: l.verdict, critique: l.critique } : null;
}

/** Loads a version's example items (stored as item ids) with the principal expert's current labels. */
export async function loadChoices(criterion: Criterion, ids: number[]): Promise<ExampleChoice[]> {
  const loaded = await Promise.all(ids.map(async (id) => {
    const [item, history] = await Promise.all([api.item(id), api.labelHistory(criterion.id, id)]);
    const label = [...history].reverse().find((l) => l.annotator === criterion.principalAnnotator);
    return label?.verdict ? { item, verdict: label.verdict, critique: label.critique } : null;
  }));
  return loaded.filter((c): c is ExampleChoice => c !== null);
}
