/**
 * Worker thread of the relay benchmark: makes valid signed ballots (a fresh
 * voter with a real blind-signed credential each), so the relay is driven
 * with ballots it must fully check. Credentials are the slow part (RFC 9474
 * blinding in JS), hence one worker per core.
 */
import { availableParallelism } from "node:os";
import path from "node:path";
import { parentPort, Worker, workerData } from "node:worker_threads";
import { toHex } from "viem";
import type { ElectionContext } from "../../server/protocol/context";
import { registrarKeyFromPem } from "../../server/protocol/credential-issuer";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { credentialedVoter, signedBallotOf } from "../../test/protocol/fixtures";

export interface BallotMakerInput {
  context: ElectionContext;
  registrarPem: string;
  count: number;
  options: number;
}

async function make(input: BallotMakerInput): Promise<string[]> {
  await initCrypto();
  const key = registrarKeyFromPem(input.registrarPem);
  const bodies: string[] = [];
  for (let i = 0; i < input.count; i++) {
    const voter = await credentialedVoter(input.context, key, 0);
    const choice = { "party-list": [`party-list-option-${(i % input.options) + 1}`] };
    const signed = await signedBallotOf(input.context, voter, choice);
    bodies.push(
      JSON.stringify({
        ballot: toHex(signed.ballot),
        sequence: signed.sequence.toString(),
        signature: signed.signature,
      }),
    );
  }
  return bodies;
}

/** Makes `count` ballots on one worker thread per core (this module run as the worker); JSON bodies of POST /v1/ballots. */
export function makeBallotsOnWorkers(
  input: Omit<BallotMakerInput, "count">,
  count: number,
): Promise<string[]> {
  const workers = Math.max(1, availableParallelism());
  const share = (i: number) => Math.floor(count / workers) + (i < count % workers ? 1 : 0);
  const bootstrap = `require(${JSON.stringify(require.resolve("tsx/cjs"))}); require(${JSON.stringify(path.join(__dirname, "relay-ballot-maker.ts"))});`;
  return Promise.all(
    Array.from(
      { length: workers },
      (_, i) =>
        new Promise<string[]>((resolve, reject) => {
          const worker = new Worker(bootstrap, { eval: true, workerData: { ...input, count: share(i) } });
          worker.once("message", (m: { bodies?: string[]; error?: string }) => {
            void worker.terminate();
            if (m.bodies) resolve(m.bodies);
            else reject(new Error(m.error));
          });
          worker.once("error", reject);
        }),
    ),
  ).then((parts) => parts.flat());
}

if (parentPort !== null)
  make(workerData as BallotMakerInput).then(
    (bodies) => parentPort!.postMessage({ bodies }),
    (error) => parentPort!.postMessage({ error: String(error) }),
  );
