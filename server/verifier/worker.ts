import { parentPort } from "node:worker_threads";
import { verifyBallotProofs } from "../protocol/ballot";
import type { ElectionContext } from "../protocol/context";
import { initCrypto } from "../protocol/primitives/sodium";
import type { PoolRequest, PoolResponse, VerifyOutcome } from "./pool";

/**
 * Worker side of the verifier pool: receives the election context once, then
 * batches of ballots, and answers each batch with one outcome per ballot.
 */
let context: ElectionContext | null = null;
const port = parentPort;
if (port === null) throw new Error("verifier worker must run in a worker thread");

port.on("message", async (message: PoolRequest) => {
  if (message.type === "init") {
    await initCrypto();
    context = message.context;
    port.postMessage({ type: "ready" } satisfies PoolResponse);
    return;
  }
  const outcomes: VerifyOutcome[] = message.tasks.map((task) => {
    if (context === null) return { ok: false, reason: "verifier worker not initialised" };
    const result = verifyBallotProofs(context, task.bytes, task.nullifier);
    return result.ok ? { ok: true } : { ok: false, reason: result.reason };
  });
  port.postMessage({ type: "verified", id: message.id, outcomes } satisfies PoolResponse);
});
