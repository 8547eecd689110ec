/**
 * Same-turn batching: callers that arrive in the same turn of the event loop
 * are handled by one call of `flush`, and each gets its own result. The
 * relay uses it twice: one SQLite transaction (and one fsync, see WalSync)
 * for all ballots queued together (group commit), and one verifier-pool job
 * per worker for all ballots checked together (fewer messages between
 * threads). A caller gets its result only once the flush that holds its item
 * has finished.
 */
export class GroupCommit<T, R> {
  private pending: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly flush: (items: T[]) => R[] | Promise<R[]>) {}

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.run());
      }
    });
  }

  private async run(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    let results: R[];
    try {
      results = await this.flush(batch.map((p) => p.item));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]));
  }
}
