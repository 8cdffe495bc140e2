import { describe, expect, it } from 'vitest';
import { LimiterRegistry, MAX_TIMER_MS, MIN_LIMIT_PER_MINUTE, RateLimiter, tokenCount, limitProblem } from '../../server/judge/limiter.ts';

/** A clock the test moves by hand, so no assertion depends on wall time. */
function manualClock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

describe('RateLimiter', () => {
  it('admits a one-second burst at once, then spaces requests at 60 000 / rpm ms', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ rpm: 120 }, clock); // burst of 2 (one second's worth), then one every 500 ms
    const delays = Array.from({ length: 5 }, () => limiter.reserve(0).delayMs);
    expect(delays).toEqual([0, 0, 500, 1000, 1500]);
  });

  it('holds requests per minute at the limit over a long stretch', () => {
    const limiter = new RateLimiter({ rpm: 60 }, manualClock());
    const delays = Array.from({ length: 1000 }, () => limiter.reserve(0).delayMs);
    // one request per second from the start: exactly 600 fall in the first ten minutes
    expect(delays.filter((d) => d < 10 * 60_000)).toHaveLength(600);
  });

  it('charges tokens per minute by the estimate and corrects by the actual usage', () => {
    const limiter = new RateLimiter({ tpm: 60 }, manualClock()); // one token per second, no burst
    const a = limiter.reserve(10);
    expect(a.delayMs).toBe(0);
    // b waits the 10 s that a's 10 estimated tokens cost
    expect(limiter.reserve(10).delayMs).toBe(10_000);
    // a turns out to have used 4 tokens: c waits for b's 10 and a's 4 only
    a.settle(4);
    expect(limiter.reserve(1).delayMs).toBe(14_000);
  });

  it('admits a request bigger than the burst (it waits longer afterwards instead of never)', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ tpm: 600 }, clock);
    expect(limiter.reserve(5000).delayMs).toBe(0);
    expect(limiter.reserve(10).delayMs).toBeGreaterThan(0);
  });

  it('combines both limits: the stricter one decides', () => {
    const tokensBound = new RateLimiter({ rpm: 6000, tpm: 60 }, manualClock());
    tokensBound.reserve(1);
    expect(tokensBound.reserve(1).delayMs).toBe(1000);
    const requestsBound = new RateLimiter({ rpm: 60, tpm: 600_000 }, manualClock());
    requestsBound.reserve(1);
    expect(requestsBound.reserve(1).delayMs).toBe(1000);
  });

  it('pauses every later request after a Retry-After', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({}, clock);
    expect(limiter.reserve(0).delayMs).toBe(0);
    limiter.pauseFor(2000);
    expect(limiter.reserve(0).delayMs).toBe(2000);
    clock.advance(2500);
    expect(limiter.reserve(0).delayMs).toBe(0);
  });

  it('is unlimited without limits, and rejects a non-positive limit by name', () => {
    const limiter = new RateLimiter({}, manualClock());
    expect(limiter.limited).toBe(false);
    for (let i = 0; i < 1000; i++) expect(limiter.reserve(10_000).delayMs).toBe(0);
    expect(() => new RateLimiter({ rpm: -5 })).toThrow(/RateLimiter/);
  });
});

describe('LimiterRegistry', () => {
  it('shares one limiter per endpoint and applies the strictest limits of the runs using it', () => {
    const clock = manualClock();
    const reg = new LimiterRegistry(clock);
    const a = reg.acquire('http://x|KEY', { rpm: 600 });
    const b = reg.acquire('http://x|KEY', { rpm: 60 });
    const other = reg.acquire('http://y|KEY', { rpm: 600 });
    expect(a.limiter).toBe(b.limiter);
    expect(other.limiter).not.toBe(a.limiter);
    a.limiter.reserve(0);
    expect(a.limiter.reserve(0).delayMs).toBe(1000); // 60 rpm now governs both runs
    b.release();
    clock.advance(60_000);
    a.limiter.reserve(0);
    a.limiter.reserve(0);
    expect(a.limiter.reserve(0).delayMs).toBeLessThanOrEqual(100); // back to 600 rpm
    a.release();
    other.release();
  });
});

describe('tokenCount', () => {
  it('counts 4 characters per token, rounding up', () => {
    expect(tokenCount(0)).toBe(0);
    expect(tokenCount(1)).toBe(1);
    expect(tokenCount(400)).toBe(100);
  });
});

describe('RateLimiter: waits a timer can hold', () => {
  it('refuses limits below MIN_LIMIT_PER_MINUTE, whose waits would overflow setTimeout', () => {
    for (const bad of [1e-9, 0.0009, -1, Number.POSITIVE_INFINITY]) expect(() => new RateLimiter({ rpm: bad })).toThrow(RangeError);
    for (const bad of [1e-9, 0.0009, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(limitProblem(bad)).not.toBeNull();
    expect(limitProblem(MIN_LIMIT_PER_MINUTE)).toBeNull();
  });

  it('at the smallest limit, never sends everything at once: every wait fits a timer and each is one interval later', () => {
    const limiter = new RateLimiter({ rpm: MIN_LIMIT_PER_MINUTE }, manualClock());
    const delays = Array.from({ length: 30 }, () => limiter.reserve(0).delayMs);
    expect(delays[0]).toBe(0);
    for (let i = 1; i < delays.length; i++) {
      expect(delays[i]! - delays[i - 1]!).toBe(60_000 / MIN_LIMIT_PER_MINUTE);
      expect(delays[i]).toBeLessThanOrEqual(MAX_TIMER_MS);
    }
  });

  it('a wait longer than a timer can hold is handed out as it is (sleep.ts waits it in chunks), in call order', () => {
    // contract changed: the limiter used to refuse such a reservation, which failed the whole run
    const limiter = new RateLimiter({ tpm: 1 }, manualClock());
    expect(limiter.reserve(10).delayMs).toBe(0);
    // 100 000 000 tokens at one per minute: the next request waits ~11,000 years, and the one after it longer
    const long = limiter.reserve(100_000_000).delayMs;
    const longer = limiter.reserve(1).delayMs;
    expect(long).toBe(600_000);
    expect(longer).toBeGreaterThan(MAX_TIMER_MS);
    expect(longer - long).toBe(100_000_000 * 60_000);
  });

});
