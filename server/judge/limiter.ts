/**
 * Request and token rate limits for judge calls: requests per minute (RPM) and tokens per
 * minute (TPM), as providers enforce them.
 *
 * Each limit is a token bucket expressed as the generic cell rate algorithm (GCRA): the bucket
 * is a "theoretical arrival time" (TAT) that every admitted request pushes forward by its cost
 * times the emission interval (60 000 ms / limit). A request may start once `now ≥ TAT − τ`,
 * where τ is the burst tolerance (one second's worth of the limit). Reservations are made
 * synchronously in call order, so waiting requests are served first come, first served, and no
 * timer polls: each caller learns at once how long to wait.
 *
 * A TPM reservation is an estimate (prompt characters / 4 + max_tokens); `settle()` corrects the
 * bucket by the actual usage the endpoint reported, so a limit is neither over- nor under-spent
 * for long. A 429 with Retry-After pauses every later request on the same profile via `pauseFor()`.
 *
 * Complexity: O(1) per reservation. A limit below MIN_LIMIT_PER_MINUTE throws RangeError. A wait may
 * exceed MAX_TIMER_MS (a queue of requests at a tiny limit): callers sleep with server/judge/sleep.ts,
 * which waits in chunks a timer can hold, so such a request waits (cancellably) instead of going at once.
 * @example
 *   const limiter = new RateLimiter({ rpm: 600, tpm: 90_000 });
 *   const r = limiter.reserve(1200);       // { delayMs, settle }
 *   await sleep(r.delayMs); ... r.settle(usage.total_tokens);
 */
export interface RateLimits {
  /** requests per minute; null/undefined = unlimited */
  rpm?: number | null;
  /** tokens (prompt + completion) per minute; null/undefined = unlimited */
  tpm?: number | null;
}

export interface Reservation {
  /** how long the caller must wait before sending (0 = now) */
  delayMs: number;
  /** corrects the token bucket with the tokens the request actually used (0 for a failed request) */
  settle(actualTokens: number): void;
}

export interface Clock { now(): number }

const MINUTE_MS = 60_000;

/** The longest wait one timer can hold: setTimeout fires at once (after 1 ms) for anything over 2^31 − 1 ms (sleep.ts chunks longer ones). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * The smallest RPM/TPM accepted (one per 1,000 minutes): its interval (60 000 000 ms) is 35 times
 * below MAX_TIMER_MS, so a queue of waiting requests still fits a timer. Smaller limits are refused
 * where they are given (CLI, API, here) rather than overflowing a timer and sending everything at once.
 */
export const MIN_LIMIT_PER_MINUTE = 0.001;

/** Why an RPM/TPM value is not a usable limit, or null when it is. */
export function limitProblem(perMinute: number): string | null {
  if (!Number.isFinite(perMinute) || perMinute <= 0) return `must be a positive number, got ${perMinute}`;
  if (perMinute < MIN_LIMIT_PER_MINUTE) return `must be at least ${MIN_LIMIT_PER_MINUTE} per minute (one per 1,000 minutes), got ${perMinute}`;
  return null;
}

class Bucket {
  private tat = -Infinity;
  interval = 0;
  tolerance = 0;
  constructor(perMinute: number) { this.setLimit(perMinute); }

  setLimit(perMinute: number) {
    const problem = limitProblem(perMinute);
    if (problem) throw new RangeError(`RateLimiter: a limit ${problem}`);
    this.interval = MINUTE_MS / perMinute;
    // A burst of one second's worth (at least one request/token) may go at once; GCRA admits τ/T + 1.
    // Providers enforce per-minute limits over shorter windows too, so a whole minute's burst would be refused.
    this.tolerance = (Math.max(1, perMinute / 60) - 1) * this.interval;
  }

  /** earliest time ≥ t at which this bucket admits a request */
  earliest(t: number): number { return Math.max(t, this.tat - this.tolerance); }

  take(at: number, cost: number) { this.tat = Math.max(this.tat, at) + cost * this.interval; }

  adjust(deltaCost: number) { this.tat += deltaCost * this.interval; }
}

export class RateLimiter {
  private requests: Bucket | null = null;
  private tokens: Bucket | null = null;
  private pausedUntil = -Infinity;

  constructor(limits: RateLimits = {}, private readonly clock: Clock = performance) {
    this.setLimits(limits);
  }

  /** Changes the limits; reservations already handed out keep their times. */
  setLimits(limits: RateLimits) {
    this.requests = limits.rpm ? (this.requests ? (this.requests.setLimit(limits.rpm), this.requests) : new Bucket(limits.rpm)) : null;
    this.tokens = limits.tpm ? (this.tokens ? (this.tokens.setLimit(limits.tpm), this.tokens) : new Bucket(limits.tpm)) : null;
  }

  get limited(): boolean { return this.requests !== null || this.tokens !== null; }

  /** Reserves a slot for one request estimated to use `estimatedTokens` tokens. */
  reserve(estimatedTokens: number): Reservation {
    const now = this.clock.now();
    let at = Math.max(now, this.pausedUntil);
    if (this.requests) at = this.requests.earliest(at);
    if (this.tokens) at = this.tokens.earliest(at);
    this.requests?.take(at, 1);
    this.tokens?.take(at, estimatedTokens);
    const tokens = this.tokens;
    let settled = false;
    return {
      delayMs: at - now,
      settle: (actual: number) => {
        if (settled || !tokens || tokens !== this.tokens) return;
        settled = true;
        tokens.adjust(actual - estimatedTokens);
      },
    };
  }

  /** Holds every later request for `ms` (a 429 that said Retry-After). */
  pauseFor(ms: number) {
    if (ms > 0) this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }
}

/**
 * One limiter per provider profile (endpoint + key), shared by the runs executing on it in this
 * process, so two runs against the same endpoint together stay under its limits. When runs ask
 * for different limits, the most restrictive active one applies.
 */
export class LimiterRegistry {
  private readonly entries = new Map<string, { limiter: RateLimiter; users: Map<symbol, RateLimits> }>();

  constructor(private readonly clock: Clock = performance) {}

  acquire(profile: string, limits: RateLimits): { limiter: RateLimiter; release(): void } {
    let entry = this.entries.get(profile);
    if (!entry) {
      entry = { limiter: new RateLimiter({}, this.clock), users: new Map() };
      this.entries.set(profile, entry);
    }
    const id = Symbol(profile);
    entry.users.set(id, limits);
    const e = entry;
    e.limiter.setLimits(strictest(e.users.values()));
    return {
      limiter: e.limiter,
      release: () => {
        if (!e.users.delete(id)) return;
        if (e.users.size === 0) this.entries.delete(profile);
        else e.limiter.setLimits(strictest(e.users.values()));
      },
    };
  }
}

function strictest(all: Iterable<RateLimits>): RateLimits {
  let rpm: number | null = null, tpm: number | null = null;
  for (const l of all) {
    if (l.rpm) rpm = rpm === null ? l.rpm : Math.min(rpm, l.rpm);
    if (l.tpm) tpm = tpm === null ? l.tpm : Math.min(tpm, l.tpm);
  }
  return { rpm, tpm };
}

/** Rough token count of text as most tokenizers see English: 4 characters per token. */
export function tokenCount(chars: number): number {
  return Math.ceil(chars / 4);
}
