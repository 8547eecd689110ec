/**
 * Batching of concurrent callers: callers whose items are gathered into one
 * group are handled by one call of `flush`, and each gets its own result. A
 * caller gets its result only once the flush that holds its item has
 * finished; flushes of successive groups may run at the same time.
 *
 * By default a group is the callers of one turn of the event loop
 * (same-turn batching). The relay uses it so twice: one SQLite transaction
 * (and one fsync, see WalSync) for all ballots queued together (group
 * commit), and one verifier-pool job per worker for all ballots checked
 * together (fewer messages between threads). With `maxWaitMs` a group stays
 * open that long after it starts (with its first item, or with the flush of
 * a full group before it), and with `maxItems` it is flushed as soon as it is
 * full (the rest start the next group): the registrar journals
 * its issuances so, one recordIssuances transaction per group
 * (server/registrar/issuer.ts).
 */
export interface GroupCommitOptions {
  /** Most items in one flush; default: no limit. */
  maxItems?: number;
  /** How long a group stays open after it starts (ms); default 0: the same event-loop turn. */
  maxWaitMs?: number;
}

export class GroupCommit<T, R> {
  private pending: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  private cancelScheduled: (() => void) | null = null;
  private readonly maxItems: number;
  private readonly maxWaitMs: number;

  constructor(
    private readonly flush: (items: T[]) => R[] | Promise<R[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxItems = options.maxItems ?? Infinity;
    this.maxWaitMs = options.maxWaitMs ?? 0;
    if (!(this.maxItems >= 1) || !(this.maxWaitMs >= 0)) throw new Error("GroupCommit: invalid options");
  }

  /** Items waiting for their group to be flushed. */
  get waiting(): number {
    return this.pending.length;
  }

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxItems) this.run();
      else if (this.cancelScheduled === null) this.schedule();
    });
  }

  private schedule(): void {
    if (this.maxWaitMs > 0) {
      const timer = setTimeout(() => this.run(), this.maxWaitMs);
      this.cancelScheduled = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => this.run());
      this.cancelScheduled = () => clearImmediate(immediate);
    }
  }

  /** Flushes the oldest group (up to maxItems items); what is left starts the next group. */
  private run(): void {
    this.cancelScheduled?.();
    this.cancelScheduled = null;
    const group = this.pending.splice(0, this.maxItems);
    if (this.pending.length > 0) this.schedule();
    void this.flushGroup(group);
  }

  private async flushGroup(group: typeof this.pending): Promise<void> {
    let results: R[];
    try {
      results = await this.flush(group.map((p) => p.item));
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    }
    group.forEach((p, i) => p.resolve(results[i]));
  }
}
