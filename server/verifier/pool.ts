import { availableParallelism } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { Bytes32Input } from "../protocol/ballot";
import type { BallotCheck, BallotRules, SignedBallot } from "../protocol/ballot-check";
import type { ElectionContext } from "../protocol/context";
import type { CryptoBackendName } from "../protocol/primitives/backend";
import type { CheckSummary } from "../verification/inspection";

/**
 * A pool of worker threads that check ballots in parallel (one libsodium
 * instance per thread). The relay, the trustees and the observer share it:
 * `checkMany` runs the full checkSignedBallot (signature, credential,
 * proofs), `verifyMany` only the proofs (the crypto benchmark). Ballots are
 * sent in batches to keep the message overhead small; results come back in
 * order.
 */
export interface VerifyTask {
  bytes: Uint8Array;
  /** keccak256(abi.encode(election, votingAddress)) of the ballot's signer. */
  nullifier: Bytes32Input;
}

export type VerifyOutcome = { ok: true } | { ok: false; reason: string };

export type PoolJob =
  | { kind: "verify"; tasks: VerifyTask[] }
  | { kind: "check"; tasks: SignedBallot[] }
  | { kind: "summarize"; tasks: SignedBallot[] };

export type PoolRequest =
  | { type: "init"; context: ElectionContext; registrarKeys: ReadonlyMap<number, Uint8Array> }
  | { type: "job"; id: number; job: PoolJob };

export type PoolResponse =
  { type: "ready"; backend: CryptoBackendName } | { type: "done"; id: number; outcomes: PoolOutcomes };

type PoolOutcomes = VerifyOutcome[] | BallotCheck[] | CheckSummary[];

export interface VerifierPoolOptions {
  /** Number of worker threads; default: the number of cores. */
  threads?: number;
  /** Ballots per message; default 16. */
  batchSize?: number;
}

interface Pending {
  job: PoolJob;
  resolve: (outcomes: PoolOutcomes) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Pending>;
  /** The group-operation backend the worker's initCrypto() chose. */
  backend?: CryptoBackendName;
}

/** Up to this many batches are queued on one worker, so it never waits for the main thread. */
const MAX_IN_FLIGHT = 2;

/**
 * How a worker starts: from worker.js when this runs compiled; from
 * TypeScript sources, the worker and everything it imports bundled once per
 * process by esbuild (a development dependency, as tsx is) and evaluated,
 * each module's __filename and __dirname kept as its own (the native core is
 * found beside backend.ts). A worker then starts in about 0.2 s of CPU
 * instead of about 1.1 s through tsx's hook, which compiles and resolves
 * each of some 600 modules again in every worker. Without esbuild (or if
 * the bundle cannot be built): tsx's hook.
 */
type WorkerSource = { file: string } | { code: string };

/**
 * The name as an identifier, not inside a string: this file is in the
 * bundle too, and a quoted "__filename" made into a path would not parse.
 */
const identifier = (name: string) => new RegExp(`(?<![\\w$"'])${name}(?![\\w$"'])`, "g");

let sourceOfWorker: Promise<WorkerSource> | null = null;
export function workerSource(): Promise<WorkerSource> {
  sourceOfWorker ??= (async (): Promise<WorkerSource> => {
    const workerFile = path.join(__dirname, path.extname(__filename) === ".ts" ? "worker.ts" : "worker.js");
    if (!workerFile.endsWith(".ts")) return { file: workerFile };
    try {
      const [esbuild, fs] = await Promise.all([import("esbuild"), import("node:fs")]);
      const built = await esbuild.build({
        entryPoints: [workerFile],
        bundle: true,
        // This file is in the worker's imports (through the inspection's types and checker); its esbuild is not.
        external: ["esbuild"],
        platform: "node",
        format: "iife",
        target: `node${process.versions.node.split(".")[0]}`,
        write: false,
        logLevel: "silent",
        plugins: [
          {
            name: "module-paths",
            setup(build) {
              build.onLoad({ filter: /\.ts$/ }, (args) => ({
                loader: "ts",
                contents: fs
                  .readFileSync(args.path, "utf8")
                  .replace(identifier("__filename"), JSON.stringify(args.path))
                  .replace(identifier("__dirname"), JSON.stringify(path.dirname(args.path))),
              }));
            },
          },
        ],
      });
      // What the bundle still requires (Node's own modules) resolves as from worker.ts.
      const code = `(function (require) {\n${built.outputFiles[0].text}\n})(require("node:module").createRequire(${JSON.stringify(workerFile)}));`;
      return { code };
    } catch {
      const tsx = JSON.stringify(require.resolve("tsx/cjs"));
      return { code: `require(${tsx}); require(${JSON.stringify(workerFile)});` };
    }
  })();
  return sourceOfWorker;
}

function spawnWorker(source: WorkerSource): Worker {
  return "file" in source ? new Worker(source.file) : new Worker(source.code, { eval: true });
}

export class VerifierPool {
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly slots: Slot[],
    private readonly batchSize: number,
  ) {}

  /** Starts the workers and hands each the election context and registrar keys. */
  static async create(
    rules: ElectionContext | BallotRules,
    options: VerifierPoolOptions = {},
  ): Promise<VerifierPool> {
    const { context, registrarKeys } =
      "registrarKeys" in rules ? rules : { context: rules, registrarKeys: new Map<number, Uint8Array>() };
    const threads = Math.max(1, options.threads ?? availableParallelism());
    // Every worker starts at once (loading the modules is most of a start).
    const source = await workerSource();
    const slots: Slot[] = Array.from({ length: threads }, () => ({
      worker: spawnWorker(source),
      inFlight: new Map(),
    }));
    const started = await Promise.allSettled(
      slots.map(
        (slot) =>
          new Promise<void>((resolve, reject) => {
            const { worker } = slot;
            const onMessage = (message: PoolResponse) => {
              if (message.type !== "ready") return;
              slot.backend = message.backend;
              worker.off("error", reject);
              worker.off("message", onMessage);
              resolve();
            };
            worker.on("message", onMessage);
            worker.once("error", reject);
            worker.postMessage({ type: "init", context, registrarKeys } satisfies PoolRequest);
          }),
      ),
    );
    const failed = started.find((outcome) => outcome.status === "rejected");
    if (failed !== undefined) {
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
      throw failed.reason;
    }
    const pool = new VerifierPool(slots, Math.max(1, options.batchSize ?? 16));
    for (const slot of slots) pool.attach(slot);
    return pool;
  }

  get threads(): number {
    return this.slots.length;
  }

  /** The group-operation backend of the workers ("native" or "wasm"; they all choose alike). */
  get backend(): CryptoBackendName {
    return this.slots[0].backend ?? "wasm";
  }

  private attach(slot: Slot): void {
    slot.worker.on("message", (message: PoolResponse) => {
      if (message.type !== "done") return;
      const pending = slot.inFlight.get(message.id);
      if (pending === undefined) return;
      slot.inFlight.delete(message.id);
      pending.resolve(message.outcomes);
      this.pump();
    });
    const fail = (error: Error) => {
      for (const pending of slot.inFlight.values()) pending.reject(error);
      slot.inFlight.clear();
    };
    slot.worker.on("error", fail);
    slot.worker.on("exit", (code) => {
      if (!this.closed) fail(new Error(`verifier worker exited with code ${code}`));
    });
  }

  private pump(): void {
    for (;;) {
      if (this.queue.length === 0) return;
      let best: Slot | null = null;
      for (const slot of this.slots)
        if (slot.inFlight.size < MAX_IN_FLIGHT && (best === null || slot.inFlight.size < best.inFlight.size))
          best = slot;
      if (best === null) return;
      const pending = this.queue.shift()!;
      const id = this.nextId++;
      best.inFlight.set(id, pending);
      best.worker.postMessage({ type: "job", id, job: pending.job } satisfies PoolRequest);
    }
  }

  private submit(job: PoolJob): Promise<PoolOutcomes> {
    if (this.closed) return Promise.reject(new Error("verifier pool is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  private async inBatches<T, R>(kind: PoolJob["kind"], tasks: readonly T[]): Promise<R[]> {
    const batches: Promise<PoolOutcomes>[] = [];
    for (let i = 0; i < tasks.length; i += this.batchSize)
      batches.push(this.submit({ kind, tasks: tasks.slice(i, i + this.batchSize) } as PoolJob));
    return (await Promise.all(batches)).flat() as R[];
  }

  /** Verifies one ballot's proofs. */
  async verify(task: VerifyTask): Promise<VerifyOutcome> {
    return (await this.verifyMany([task]))[0];
  }

  /** Verifies the proofs of many ballots in parallel; the outcomes are in the order of the tasks. */
  verifyMany(tasks: readonly VerifyTask[]): Promise<VerifyOutcome[]> {
    return this.inBatches("verify", tasks);
  }

  /** checkSignedBallot on many ballots in parallel; the outcomes are in the order of the ballots. */
  checkMany(ballots: readonly SignedBallot[]): Promise<BallotCheck[]> {
    return this.inBatches("check", ballots);
  }

  /** checkSignedBallot on many ballots, only what the inspection keeps of each (see CheckSummary), in order. */
  summarizeMany(ballots: readonly SignedBallot[]): Promise<CheckSummary[]> {
    return this.inBatches("summarize", ballots);
  }

  async close(): Promise<void> {
    this.closed = true;
    const error = new Error("verifier pool is closed");
    for (const pending of this.queue.splice(0)) pending.reject(error);
    for (const slot of this.slots) {
      for (const pending of slot.inFlight.values()) pending.reject(error);
      slot.inFlight.clear();
    }
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
