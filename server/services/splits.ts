import { createHash } from 'node:crypto';
import type { Split } from '../../shared/types.ts';

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
