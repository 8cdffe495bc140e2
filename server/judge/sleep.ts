import { setTimeout as delay } from 'node:timers/promises';
import { APIUserAbortError } from 'openai';
import { MAX_TIMER_MS } from './limiter.ts';

/**
 * Waits `ms` milliseconds, or rejects with an AbortError when `signal` aborts. A wait longer
 * than one timer can hold (2^31 − 1 ms; setTimeout would fire at once) sleeps in chunks, so a
 * rate limit of one request per 1,000 minutes really waits.
 * @example await sleep(reservation.delayMs, signal)
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  let left = Math.max(0, ms);
  do {
    const chunk = Math.min(left, MAX_TIMER_MS);
    await delay(chunk, undefined, { signal });
    left -= chunk;
  } while (left > 0);
}

/**
 * `sleep` for judge calls: an abort rejects with the `openai` client's APIUserAbortError, the
 * error a request cancelled in flight throws, so callers handle a cancel one way.
 */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try { await sleep(ms, signal); } catch (e) {
    if (signal?.aborted) throw new APIUserAbortError();
    throw e;
  }
}
