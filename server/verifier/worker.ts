import { parentPort } from "node:worker_threads";
import { verifyBallotProofs } from "../protocol/ballot";
import { checkSignedBallot, type BallotRules } from "../protocol/ballot-check";
import { cryptoBackend } from "../protocol/primitives/backend";
import { initCrypto } from "../protocol/primitives/sodium";
import { summarizeCheck } from "../verification/inspection";
import type { PoolRequest, PoolResponse, VerifyOutcome } from "./pool";

/**
 * Worker side of the verifier pool: receives the election context and
 * registrar keys once, then jobs (batches of ballots), and answers each job
 * with one outcome per ballot.
 */
let rules: BallotRules | null = null;
const port = parentPort;
if (port === null) throw new Error("verifier worker must run in a worker thread");

port.on("message", async (message: PoolRequest) => {
  if (message.type === "init") {
    await initCrypto();
    rules = { context: message.context, registrarKeys: message.registrarKeys };
    port.postMessage({ type: "ready", backend: cryptoBackend() } satisfies PoolResponse);
    return;
  }
  const current = rules;
  if (current === null) throw new Error("verifier worker not initialised");
  const { job } = message;
  const outcomes =
    job.kind === "check"
      ? await Promise.all(job.tasks.map((signed) => checkSignedBallot(current, signed)))
      : job.kind === "summarize"
        ? await Promise.all(
            job.tasks.map(async (signed) =>
              summarizeCheck(await checkSignedBallot(current, signed), signed.ballot),
            ),
          )
        : job.tasks.map((task): VerifyOutcome => {
            const result = verifyBallotProofs(current.context, task.bytes, task.nullifier);
            return result.ok ? { ok: true } : { ok: false, reason: result.reason };
          });
  port.postMessage({ type: "done", id: message.id, outcomes } satisfies PoolResponse);
});
