/** How consistently a judge repeats its own verdicts across samples of the same item. */
export interface SelfAgreement {
  /** Items with at least 2 samples: the ones self-agreement and flip rate are computed over. */
  items: number;
  /** Mean over those items of the share of sample pairs that give the same verdict. */
  selfAgreement: number | null;
  /** Share of those items whose samples are not all identical. */
  flipRate: number | null;
  /** Per input item (all of them): the most frequent verdict, null on a tie or no samples. */
  majority: Array<string | null>;
}

/**
 * Self-consistency of repeated judge samples.
 *
 * Definitions, for an item with m ≥ 2 samples where verdict v occurs c_v times:
 *   pairwise agreement = Σ_v c_v(c_v − 1) / (m(m − 1))
 * (the share of the m(m − 1)/2 unordered sample pairs that agree; Fleiss' (1971) P_i).
 * selfAgreement is its unweighted mean over items with m ≥ 2 and flipRate the share of
 * those items with more than one distinct verdict; both are null when no item has 2
 * samples. majority[i] is the verdict with the highest count for item i, or null when
 * two or more verdicts share the highest count or the item has no samples. Items with a
 * single sample get a majority but do not count towards `items`.
 *
 * Complexity: O(total samples).
 *
 * @param samples samples[i] = the verdicts sampled for item i.
 * @throws {Error} "selfAgreement: ..." when samples is not an array of string arrays.
 * @example
 * selfAgreement([['pass', 'pass', 'fail'], ['fail', 'fail']]);
 * // => { items: 2, selfAgreement: (1/3 + 1) / 2 = 0.6666666666666666, flipRate: 0.5, majority: ['pass', 'fail'] }
 */
export function selfAgreement(samples: string[][]): SelfAgreement {
  if (!Array.isArray(samples)) throw new Error('selfAgreement: samples must be an array of arrays of verdicts');
  let items = 0;
  let agreementSum = 0;
  let flips = 0;
  const majority = samples.map((verdicts, i) => {
    if (!Array.isArray(verdicts) || verdicts.some((v) => typeof v !== 'string')) {
      throw new Error(`selfAgreement: samples[${i}] must be an array of string verdicts`);
    }
    const counts = new Map<string, number>();
    for (const verdict of verdicts) counts.set(verdict, (counts.get(verdict) ?? 0) + 1);
    const m = verdicts.length;
    if (m >= 2) {
      items++;
      let agreeingPairs = 0;
      for (const c of counts.values()) agreeingPairs += c * (c - 1);
      agreementSum += agreeingPairs / (m * (m - 1));
      if (counts.size > 1) flips++;
    }
    return mostFrequent(counts);
  });
  return {
    items,
    selfAgreement: items === 0 ? null : agreementSum / items,
    flipRate: items === 0 ? null : flips / items,
    majority,
  };
}

function mostFrequent(counts: Map<string, number>): string | null {
  let best: string | null = null;
  let bestCount = 0;
  let tied = false;
  for (const [verdict, count] of counts) {
    if (count > bestCount) {
      best = verdict;
      bestCount = count;
      tied = false;
    } else if (count === bestCount) {
      tied = true;
    }
  }
  return tied ? null : best;
}
