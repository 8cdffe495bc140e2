/**
 * App-wide state: the datasets (with their criteria) and the server's judge configuration.
 * Views read from here and call `refresh()` after anything that adds a dataset or criterion.
 */
import { api, errorText } from './api.ts';
import type { AppConfig, Criterion, DatasetSummary } from './types.ts';

const LAST_CRITERION = 'concur.lastCriterion';

export class Workbench {
  datasets = $state.raw<DatasetSummary[] | null>(null);
  config = $state.raw<AppConfig | null>(null);
  error = $state('');
  /** the criterion the criterion-scoped screens open by default */
  lastCriterionId = $state<number | null>(readNumber(LAST_CRITERION));

  criteria = $derived(this.datasets?.flatMap((d) => d.criteria.map((c) => ({ criterion: c, dataset: d }))) ?? []);

  async refresh() {
    try {
      const [datasets, config] = await Promise.all([api.datasets(), api.config()]);
      this.datasets = datasets;
      this.config = config;
      this.error = '';
    } catch (e) {
      this.error = errorText(e);
    }
  }

  find(criterionId: number): { criterion: Criterion; dataset: DatasetSummary } | null {
    return this.criteria.find((x) => x.criterion.id === criterionId) ?? null;
  }

  /** The criterion for criterion-scoped links when none is in the URL. */
  defaultCriterion = $derived.by(() => {
    const last = this.lastCriterionId !== null ? this.find(this.lastCriterionId) : null;
    return last?.criterion ?? this.criteria[0]?.criterion ?? null;
  });

  remember(criterionId: number) {
    if (this.lastCriterionId === criterionId) return;
    this.lastCriterionId = criterionId;
    try { localStorage.setItem(LAST_CRITERION, String(criterionId)); } catch { /* private mode: not remembered */ }
  }
}

function readNumber(key: string): number | null {
  try {
    const v = localStorage.getItem(key);
    return v && /^\d+$/.test(v) ? Number(v) : null;
  } catch { return null; }
}

export const workbench = new Workbench();
