/**
 * How many one-time codes the registrar checks, per source and per voter id
 * (docs/threat-model.md, section 10).
 * Two goals pull apart: guessing a voter's code must stay infeasible, and no
 * third party may keep a voter out by sending wrong codes in their name.
 *
 *  - Per source (client IP): the first `sourceFreeFailures` wrong codes are
 *    free; after that the source waits `sourceBaseDelayMs`, doubled after
 *    every further wrong code, up to `sourceMaxDelayMs`, before its next code
 *    is checked. Its count is forgotten `sourceMemoryMs` after its last wrong
 *    code. This is the bound on guessing.
 *  - Per voter id (from all sources): `voterLockThreshold` wrong codes within
 *    `voterWindowMs` lock the id. A lock alerts (metric, log) and slows, but
 *    does not shut the door: a check of a locked id is held `lockedDelayMs`,
 *    and a source that already sent `lockedFailuresPerSource` wrong codes for
 *    it is refused until the window ends. Every other source, the genuine
 *    voter's included, still gets its code checked, and the right code passes.
 *
 * Every check is counted as a failure BEFORE the slow hash runs (begin() is
 * synchronous, so concurrent requests cannot all slip past the limits) and
 * refunded when the code was right (finish()). Unknown voter ids are treated
 * exactly like known ones, so neither the answers nor their timing tell who
 * is on the roll.
 */
export interface AttemptPolicy {
  sourceFreeFailures: number;
  sourceBaseDelayMs: number;
  sourceMaxDelayMs: number;
  sourceMemoryMs: number;
  voterLockThreshold: number;
  voterWindowMs: number;
  lockedDelayMs: number;
  lockedFailuresPerSource: number;
  /** Entries kept per table (the oldest is forgotten first); bounds memory under a spray of ids. */
  maxEntries: number;
}

export const DEFAULT_ATTEMPT_POLICY: AttemptPolicy = {
  sourceFreeFailures: 5,
  sourceBaseDelayMs: 1_000,
  sourceMaxDelayMs: 60 * 60_000,
  sourceMemoryMs: 24 * 60 * 60_000,
  voterLockThreshold: 10,
  voterWindowMs: 60 * 60_000,
  lockedDelayMs: 2_000,
  lockedFailuresPerSource: 3,
  maxEntries: 100_000,
};

interface SourceState {
  failures: number;
  /** No code of this source is checked before this time (ms). */
  nextAt: number;
  lastFailureAt: number;
}

interface VoterState {
  failures: number;
  since: number;
  bySource: Map<string, number>;
}

export interface AttemptTicket {
  readonly voterId: string;
  readonly source: string;
  /** Hold the check this long (the voter id is locked). */
  readonly holdMs: number;
  /** The source's wait before this check, and the wait this check set (a right code undoes it). */
  readonly nextAtBefore: number;
  readonly nextAtSet: number;
}

export type Admission =
  { ok: true; ticket: AttemptTicket } | { ok: false; scope: "source" | "voter"; retryAfterMs: number };

export interface AttemptEvents {
  /** A voter id just reached the lock threshold (the alert). */
  onLock?: (voterId: string, failures: number) => void;
  /** A check was refused without hashing. */
  onRefused?: (scope: "source" | "voter") => void;
}

export class AttemptGuard {
  readonly policy: AttemptPolicy;
  private readonly sources = new Map<string, SourceState>();
  private readonly voters = new Map<string, VoterState>();

  constructor(
    policy: Partial<AttemptPolicy> = {},
    private readonly events: AttemptEvents = {},
    private readonly now: () => number = Date.now,
  ) {
    this.policy = { ...DEFAULT_ATTEMPT_POLICY, ...policy };
  }

  /** Voter ids locked now (for the alert gauge). */
  lockedCount(): number {
    const now = this.now();
    let locked = 0;
    for (const v of this.voters.values())
      if (now - v.since <= this.policy.voterWindowMs && v.failures >= this.policy.voterLockThreshold)
        locked++;
    return locked;
  }

  /** Admits a check (counting it as a failure until finish(ok)) or refuses it. Synchronous: atomic. */
  begin(voterId: string, source: string): Admission {
    const p = this.policy;
    const now = this.now();
    let s = this.sources.get(source);
    if (s !== undefined && now - s.lastFailureAt > p.sourceMemoryMs) {
      this.sources.delete(source);
      s = undefined;
    }
    if (s !== undefined && s.failures >= p.sourceFreeFailures && now < s.nextAt)
      return this.refuse("source", s.nextAt - now);
    let v = this.voters.get(voterId);
    if (v !== undefined && now - v.since > p.voterWindowMs) {
      this.voters.delete(voterId);
      v = undefined;
    }
    const locked = v !== undefined && v.failures >= p.voterLockThreshold;
    if (locked && (v!.bySource.get(source) ?? 0) >= p.lockedFailuresPerSource)
      return this.refuse("voter", v!.since + p.voterWindowMs - now);

    if (s === undefined) {
      s = { failures: 0, nextAt: 0, lastFailureAt: now };
      this.remember(this.sources, source, s);
    }
    const nextAtBefore = s.nextAt;
    s.failures++;
    s.lastFailureAt = now;
    if (s.failures > p.sourceFreeFailures)
      s.nextAt =
        now +
        Math.min(p.sourceMaxDelayMs, p.sourceBaseDelayMs * 2 ** (s.failures - p.sourceFreeFailures - 1));
    if (v === undefined) {
      v = { failures: 0, since: now, bySource: new Map() };
      this.remember(this.voters, voterId, v);
    }
    v.failures++;
    if (v.bySource.size < p.maxEntries || v.bySource.has(source))
      v.bySource.set(source, (v.bySource.get(source) ?? 0) + 1);
    if (v.failures === p.voterLockThreshold) this.events.onLock?.(voterId, v.failures);
    const holdMs = locked ? p.lockedDelayMs : 0;
    return { ok: true, ticket: { voterId, source, holdMs, nextAtBefore, nextAtSet: s.nextAt } };
  }

  /** The code was checked: a right one refunds what begin() counted. */
  finish(ticket: AttemptTicket, codeWasRight: boolean): void {
    if (!codeWasRight) return;
    const s = this.sources.get(ticket.source);
    if (s !== undefined) {
      s.failures = Math.max(0, s.failures - 1);
      if (s.failures <= this.policy.sourceFreeFailures) s.nextAt = 0;
      else if (s.nextAt === ticket.nextAtSet) s.nextAt = ticket.nextAtBefore;
    }
    const v = this.voters.get(ticket.voterId);
    if (v !== undefined) {
      v.failures = Math.max(0, v.failures - 1);
      const n = (v.bySource.get(ticket.source) ?? 1) - 1;
      if (n <= 0) v.bySource.delete(ticket.source);
      else v.bySource.set(ticket.source, n);
    }
  }

  private refuse(scope: "source" | "voter", retryAfterMs: number): Admission {
    this.events.onRefused?.(scope);
    return { ok: false, scope, retryAfterMs: Math.max(0, retryAfterMs) };
  }

  private remember<T>(table: Map<string, T>, key: string, value: T): void {
    table.set(key, value);
    if (table.size > this.policy.maxEntries) table.delete(table.keys().next().value!);
  }
}
