/**
 * A seeded pseudo-random number generator (mulberry32), so that every
 * resampling procedure in this library is reproducible: the same seed always
 * yields the same stream.
 *
 * Definition: Tommy Ettinger's mulberry32, a 32-bit state generator with a
 * period of 2^32 (https://gist.github.com/tommyettinger/46a874533244883189143505d203312c).
 * It is fast and well distributed, not cryptographically secure.
 *
 * Complexity: O(1) per draw, O(1) memory.
 *
 * @param seed any finite number; it is truncated to an unsigned 32-bit integer.
 * @returns a function returning uniform numbers in [0, 1).
 * @throws {Error} "createRng: ..." when the seed is not a finite number.
 * @example
 * const rng = createRng(42);
 * rng(); // => 0.6011037519201636 (always, for seed 42)
 */
export function createRng(seed: number): () => number {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new Error(`createRng: seed must be a finite number, got ${String(seed)}`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
