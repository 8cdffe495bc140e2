import type { DB } from './open.ts';

/** USD per million tokens, seeded for common models; users edit them with `concur prices set`. */
export const DEFAULT_PRICES: Array<[model: string, input: number, output: number]> = [
  ['gpt-4o', 2.5, 10], ['gpt-4o-mini', 0.15, 0.6], ['gpt-4.1', 2, 8], ['gpt-4.1-mini', 0.4, 1.6],
  ['gpt-4.1-nano', 0.1, 0.4], ['o4-mini', 1.1, 4.4], ['o3', 2, 8], ['gpt-3.5-turbo', 0.5, 1.5],
];

export interface Price { model: string; inputPerMTok: number; outputPerMTok: number }

export function pricesRepository(db: DB) {
  const seed = db.prepare(`INSERT OR IGNORE INTO model_prices (model, input_per_mtok, output_per_mtok) VALUES (?, ?, ?)`);
  const set = db.prepare(`INSERT INTO model_prices (model, input_per_mtok, output_per_mtok) VALUES (?, ?, ?)
    ON CONFLICT (model) DO UPDATE SET input_per_mtok = excluded.input_per_mtok, output_per_mtok = excluded.output_per_mtok`);
  const get = db.prepare<[string], { model: string; input_per_mtok: number; output_per_mtok: number }>(`SELECT * FROM model_prices WHERE model = ?`);
  const list = db.prepare<[], { model: string; input_per_mtok: number; output_per_mtok: number }>(`SELECT * FROM model_prices ORDER BY model`);
  const toPrice = (r: { model: string; input_per_mtok: number; output_per_mtok: number }): Price => ({ model: r.model, inputPerMTok: r.input_per_mtok, outputPerMTok: r.output_per_mtok });
  return {
    seedDefaults: db.transaction(() => { for (const p of DEFAULT_PRICES) seed.run(...p); }),
    set: (model: string, input: number, output: number) => { set.run(model, input, output); },
    get: (model: string) => { const r = get.get(model); return r ? toPrice(r) : undefined; },
    list: () => list.all().map(toPrice),
    /** Cost of a call in USD; 0 when the model has no price (shown as unpriced, not as free, by callers). */
    cost(model: string, promptTokens: number, completionTokens: number): number {
      const p = get.get(model);
      return p ? (promptTokens * p.input_per_mtok + completionTokens * p.output_per_mtok) / 1e6 : 0;
    },
  };
}
