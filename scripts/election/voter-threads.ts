import path from "node:path";
import { Worker } from "node:worker_threads";
import type { Address } from "viem";
import type { ChainEndpoint } from "../../server/chain/clients";
import type { VoterTask, VoterThreadInit, VoterThreadMessage } from "./voter-worker";

/**
 * The simulated voters' devices, on worker threads of their own: a voter's
 * work (blinding, unblinding and checking the credential, encrypting and
 * proving the ballot, its wallet file written and fsynced, the receipt
 * checked) is the voter's device's, not the services'; run on the main
 * thread it took the time the registrar and the relays need (a profile of the
 * main job: about half of the main thread's time during voting). Each voter
 * still gets its own blind credential and casts its own ballot through the
 * real voter client, over HTTP, as before.
 */
interface ThreadState {
  worker: Worker;
  ready: Promise<void>;
  busy: number;
}

export class VoterThreads {
  private readonly threads: ThreadState[];
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 1;

  constructor(count: number, init: { endpoint: ChainEndpoint; election: Address; registrarUrl: string }) {
    this.threads = Array.from({ length: count }, () => {
      const worker = spawnVoterWorker();
      const ready = new Promise<void>((resolve, reject) => {
        worker.on("message", (message: VoterThreadMessage) => {
          if (message.type === "ready") return resolve();
          const pending = this.waiting.get(message.id);
          if (message.type === "failed" && message.id === 0) return reject(new Error(message.error));
          if (pending === undefined) return;
          this.waiting.delete(message.id);
          if (message.type === "done") pending.resolve();
          else pending.reject(new Error(message.error));
        });
        worker.once("error", (error) => {
          reject(error);
          this.failAll(error);
        });
      });
      worker.postMessage({ type: "init", ...init } satisfies VoterThreadInit);
      return { worker, ready, busy: 0 };
    });
  }

  /** One voter casts one ballot on the least busy thread; rejects with the voter client's error. */
  async vote(task: Omit<VoterTask, "type" | "id">): Promise<void> {
    const thread = this.threads.reduce((a, b) => (b.busy < a.busy ? b : a));
    await thread.ready;
    const id = this.nextId++;
    thread.busy++;
    try {
      await new Promise<void>((resolve, reject) => {
        this.waiting.set(id, { resolve, reject });
        thread.worker.postMessage({ type: "vote", id, ...task } satisfies VoterTask);
      });
    } finally {
      thread.busy--;
    }
  }

  /** A thread died: every voter waiting for an answer fails (the job stops with the error). */
  private failAll(error: Error): void {
    for (const pending of this.waiting.values()) pending.reject(error);
    this.waiting.clear();
  }

  /** Seconds each thread's event loop was busy (the voters' work, fsync waits included) since it started. */
  busySeconds(): number[] {
    return this.threads.map((t) => Math.round(t.worker.performance.eventLoopUtilization().active) / 1000);
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

function spawnVoterWorker(): Worker {
  const workerFile = path.join(
    __dirname,
    path.extname(__filename) === ".ts" ? "voter-worker.ts" : "voter-worker.js",
  );
  if (workerFile.endsWith(".ts")) {
    // From TypeScript sources (tsx): load the worker through tsx's CommonJS hook, as the verifier pool does.
    const bootstrap = `require(${JSON.stringify(require.resolve("tsx/cjs"))}); require(${JSON.stringify(workerFile)});`;
    return new Worker(bootstrap, { eval: true });
  }
  return new Worker(workerFile);
}
