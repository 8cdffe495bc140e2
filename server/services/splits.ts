import { createHash } from 'node:crypto';
import type { Split } from '../../shared/types.ts';
import { ValidationError } from './errors.ts';

/**
 * Deterministic split from a hash of the item's external id: the first 4 bytes of SHA-256
 * give a bucket 0..99; buckets below `train` are train, then dev, then test. The same id
 * always lands in the same split, whatever order or batch it was imported in.
 */
export function assignSplit(externalId: string, splits: { train: number; dev: number; test: number }): Split {
  const bucket = createHash('sha256').update(externalId).digest().readUInt32BE(0) % 100;
  if (bucket < splits.train) return 'train';
  if (bucket < splits.train + splits.dev) return 'dev';
  return 'test';
}

/** The split shares a new dataset gets unless told otherwise (percent of items). */
export const DEFAULT_SPLITS = { train: 20, dev: 50, test: 30 } as const;

/**
 * The split shares for importing into `existing` (null: the dataset is created): given shares must
 * be whole percents adding up to 100, and are set only when a dataset is created — an existing
 * dataset keeps its shares (items never move between splits), so different ones are refused.
 */
export function checkSplits(datasetName: string, existing: { splits: { train: number; dev: number; test: number } } | null,
  splits: { train: number; dev: number; test: number } | undefined): { train: number; dev: number; test: number } | undefined {
  if (!splits) return undefined;
  for (const k of ['train', 'dev', 'test'] as const) {
    if (!Number.isInteger(splits[k]) || splits[k] < 0 || splits[k] > 100) throw new ValidationError(`splits.${k}`, `must be a whole percent from 0 to 100 (got ${splits[k]})`);
  }
  if (splits.train + splits.dev + splits.test !== 100) throw new ValidationError('splits', `train + dev + test must add up to 100 (got ${splits.train} + ${splits.dev} + ${splits.test} = ${splits.train + splits.dev + splits.test})`);
  if (existing && (existing.splits.train !== splits.train || existing.splits.dev !== splits.dev || existing.splits.test !== splits.test)) {
    const e = existing.splits;
    throw new ValidationError('splits', `dataset "${datasetName}" exists with train/dev/test ${e.train}/${e.dev}/${e.test}; split shares are set when a dataset is created (its items never move between splits)`);
  }
  return splits;
}

/** Parses "20/50/30" (train/dev/test percents) from the command line. */
export function parseSplits(text: string): { train: number; dev: number; test: number } {
  const m = /^(\d+)\/(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new ValidationError('--splits', `"${text}" is not train/dev/test percents such as 20/50/30`);
  return { train: Number(m[1]), dev: Number(m[2]), test: Number(m[3]) };
}
