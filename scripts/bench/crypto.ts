/**
 * Crypto benchmark: ballot encryption and verification (one core and all cores),
 * aggregation cost per ballot, and threshold decryption + count recovery of a
 * 10-million-ballot tally.
 *
 *   npm run bench:crypto            human-readable report
 *   npm run bench:crypto -- --json  one JSON object on stdout (includes verifiedPerSecondAllCores)
 *
 * The reference ballot is one contest of 5 options, choose 1; the larger one has
 * two contests, 5 options choose 1 and 12 options choose up to 3 (17 options).
 * "verified" is the proofs of a ballot (verifyBallotProofs); "checked" is the
 * whole check the relay, observers, trustees and audit run (checkSignedBallot:
 * EIP-712 signer, decoding, RSA credential, proofs) on real signed,
 * credentialed ballots. The load average is printed beside the figures: the
 * wall-clock rates depend on other work on the machine, the CPU times less.
 *
 * Group operations run on the native addon when it is built, else on libsodium
 * wasm; BALLOT_LEDGER_CRYPTO_BACKEND=wasm|native forces one (see
 * server/protocol/primitives/backend.ts). The report names the backend used.
 */
import { availableParallelism, loadavg } from "node:os";
import type { SignedBallot } from "../../server/protocol/ballot-check";
import { generateRegistrarKey } from "../../server/protocol/credential-issuer";
import {
  encryptBallot,
  verifyBallotProofs,
  decodeBallot,
  type EncryptedBallot,
  type BallotChoices,
} from "../../server/protocol/ballot";
import type { Manifest } from "../../server/protocol/manifest";
import { encrypt } from "../../server/protocol/primitives/elgamal";
import { cryptoBackend } from "../../server/protocol/primitives/backend";
import { baseMul, pointAdd, pointMul, pointSub, randomScalar } from "../../server/protocol/primitives/group";
import { hashToScalar } from "../../server/protocol/primitives/hash";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import {
  Aggregator,
  computeTally,
  createDecryptionShare,
  verifyDecryptionShare,
  type Aggregate,
  type DecryptionShare,
} from "../../server/protocol/tally";
import { VerifierPool } from "../../server/verifier/pool";
import {
  credentialedVoter,
  dummyCredential,
  largerManifest,
  signedBallotOf,
  nullifierOf,
  referenceManifest,
  setupElection,
  type Election,
} from "../../test/protocol/fixtures";

const json = process.argv.includes("--json");
const log = (line: string) => {
  if (!json) console.log(line);
};

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const value = fn();
  return [value, performance.now() - start];
}

/** CPU time (user + system) of the whole process, worker threads included, in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Mean milliseconds per call over `iterations`, after a short warm-up. */
function perCall(iterations: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(10, iterations); i++) fn(i);
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn(i);
  return (performance.now() - start) / iterations;
}

interface BallotFigures {
  bytes: number;
  encryptMs: number;
  verifyMs: number;
  verifiedPerSecondOneCore: number;
  verifiedPerSecondAllCores: number;
  /**
   * CPU time per verified ballot (one core, and in the pool): unlike the wall-clock
   * figures, it does not depend on other load on the machine.
   */
  verifyCpuMs: number;
  poolCpuMsPerBallot: number;
  aggregateUsPerBallot: number;
  /** Decoding the ballot bytes and adding them: the counting cost per ballot. */
  decodeAndAggregateUsPerBallot: number;
  /** The group-operation backend of the pool's worker threads. */
  poolBackend: string;
}

async function benchBallot(
  name: string,
  election: Election,
  choices: (i: number) => BallotChoices,
  poolBallots: number,
): Promise<BallotFigures> {
  const { context } = election;
  const credential = dummyCredential();
  const samples = 40;
  const encrypted: { bytes: Uint8Array; nullifier: Uint8Array }[] = [];
  const encryptMs = perCall(samples, (i) => {
    const nullifier = nullifierOf(i % 256);
    const { bytes } = encryptBallot(context, 0, choices(i), nullifier, credential);
    encrypted[i % samples] = { bytes, nullifier };
  });
  const verifyCpuStart = cpuMs();
  const verifyMs = perCall(samples * 3, (i) => {
    const { bytes, nullifier } = encrypted[i % samples];
    const result = verifyBallotProofs(context, bytes, nullifier);
    if (!result.ok) throw new Error(result.reason);
  });
  const verifyCpuMs = (cpuMs() - verifyCpuStart) / (samples * 3 + Math.min(10, samples * 3));

  const pool = await VerifierPool.create(context);
  const poolBackend = pool.backend;
  const tasks = Array.from({ length: poolBallots }, (_, i) => encrypted[i % samples]);
  await pool.verifyMany(tasks.slice(0, pool.threads * 32)); // warm-up
  const poolCpuStart = cpuMs();
  const [outcomes, poolMs] = await (async () => {
    const start = performance.now();
    const out = await pool.verifyMany(tasks);
    return [out, performance.now() - start] as const;
  })();
  const poolCpuMsPerBallot = (cpuMs() - poolCpuStart) / poolBallots;
  await pool.close();
  if (outcomes.some((o) => !o.ok)) throw new Error("a ballot failed in the pool");

  const decoded: EncryptedBallot[] = encrypted.map(({ bytes }) => {
    const d = decodeBallot(context, bytes);
    if (!d.ok) throw new Error(d.reason);
    return d.ballot;
  });
  const aggregator = new Aggregator(context.manifest);
  const aggregateMs = perCall(samples * 5, (i) => aggregator.add(decoded[i % samples]));
  // What counting costs a trustee or an observer per ballot: decoding the bytes (V8.1), then adding.
  const counter = new Aggregator(context.manifest);
  const countMs = perCall(samples * 5, (i) => {
    const d = decodeBallot(context, encrypted[i % samples].bytes);
    if (!d.ok) throw new Error(d.reason);
    counter.add(d.ballot);
  });

  const figures: BallotFigures = {
    bytes: encrypted[0].bytes.length,
    encryptMs,
    verifyMs,
    verifiedPerSecondOneCore: 1000 / verifyMs,
    verifiedPerSecondAllCores: (poolBallots * 1000) / poolMs,
    verifyCpuMs,
    poolCpuMsPerBallot,
    aggregateUsPerBallot: aggregateMs * 1000,
    decodeAndAggregateUsPerBallot: countMs * 1000,
    poolBackend,
  };
  log(`${name} ballot (${figures.bytes} bytes)`);
  log(`  encrypt                 ${encryptMs.toFixed(2)} ms`);
  log(`  verify                  ${verifyMs.toFixed(2)} ms (CPU ${verifyCpuMs.toFixed(2)} ms)`);
  log(`  verified/s, one core    ${figures.verifiedPerSecondOneCore.toFixed(0)}`);
  log(
    `  verified/s, ${pool.threads} threads    ${figures.verifiedPerSecondAllCores.toFixed(0)} (${poolBallots} ballots, ${poolBackend} workers)`,
  );
  log(
    `  pool CPU per ballot     ${poolCpuMsPerBallot.toFixed(2)} ms (${((pool.threads * 1000) / poolCpuMsPerBallot).toFixed(0)}/s on ${pool.threads} idle cores)`,
  );
  log(`  aggregation             ${figures.aggregateUsPerBallot.toFixed(0)} us per ballot`);
  log(`  decode + aggregation    ${figures.decodeAndAggregateUsPerBallot.toFixed(0)} us per ballot`);
  return figures;
}

/** checkSignedBallot in the verifier pool on real signed, credentialed ballots of the style-0 contest(s). */
async function benchCheck(
  name: string,
  election: Election,
  choices: (i: number) => BallotChoices,
  checks: number,
) {
  const { context } = election;
  const registrar = generateRegistrarKey(2048);
  const voters = 64;
  const signed: SignedBallot[] = [];
  for (let i = 0; i < voters; i++)
    signed.push(await signedBallotOf(context, await credentialedVoter(context, registrar, 0), choices(i)));
  const pool = await VerifierPool.create({ context, registrarKeys: new Map([[0, registrar.modulus]]) });
  const tasks = Array.from({ length: checks }, (_, i) => signed[i % voters]);
  await pool.checkMany(tasks.slice(0, pool.threads * 32)); // warm-up
  const cpuStart = cpuMs();
  const start = performance.now();
  const outcomes = await pool.checkMany(tasks);
  const wallMs = performance.now() - start;
  const poolCpuMsPerCheck = (cpuMs() - cpuStart) / checks;
  await pool.close();
  const failed = outcomes.find((o) => !o.ok);
  if (failed !== undefined && !failed.ok) throw new Error(`a ballot failed its check: ${failed.reason}`);
  const checkedPerSecondAllCores = (checks * 1000) / wallMs;
  log(
    `  checked/s, ${pool.threads} threads     ${checkedPerSecondAllCores.toFixed(0)} (signature, credential, proofs; ${checks} ${name} ballots; ` +
      `CPU ${poolCpuMsPerCheck.toFixed(2)} ms each: ${((pool.threads * 1000) / poolCpuMsPerCheck).toFixed(0)}/s on ${pool.threads} idle cores)`,
  );
  return { checkedPerSecondAllCores, poolCpuMsPerCheck };
}

/** Counts adding up to `total` ballots over the options of a choose-1 contest. */
function splitCounts(total: number, options: number): number[] {
  const counts: number[] = [];
  let rest = total;
  for (let i = 0; i < options - 1; i++) {
    const c = Math.floor(rest * 0.45);
    counts.push(c);
    rest -= c;
  }
  counts.push(rest);
  return counts;
}

/**
 * A 10M-ballot tally of the reference manifest: the aggregate is built directly
 * as encryptions of the counts (the same group elements 10M ballots would sum to),
 * then 3 of 5 trustees decrypt, and the counts are recovered.
 */
function benchTally(election: Election, ballots: number) {
  const { context, trustees } = election;
  const manifest: Manifest = context.manifest;
  const contest = manifest.contests[0];
  const counts = splitCounts(ballots, contest.options.length);
  const aggregate: Aggregate = {
    ballots,
    contests: [
      {
        contestId: contest.id,
        ballots,
        options: contest.options.map((o, i) => ({
          optionId: o.id,
          ciphertext: encrypt(context.jointKey, counts[i]),
        })),
      },
    ],
  };
  const present = [1, 3, 5];
  const [shares, shareMs] = time(() =>
    present.map((index) =>
      createDecryptionShare(context, aggregate, index, trustees.secretShares[index - 1]),
    ),
  );
  const [verified, verifyShareMs] = time(() =>
    shares.map(({ bytes }, k): DecryptionShare => {
      const index = present[k];
      const result = verifyDecryptionShare(
        context,
        aggregate,
        index,
        trustees.publicShares[index - 1],
        bytes,
      );
      if (!result.ok) throw new Error(result.reason);
      return result.share;
    }),
  );
  const [tally, combineMs] = time(() => computeTally(context, aggregate, verified));
  if (!tally.ok) throw new Error(tally.reason);
  const recovered = contest.options.map((o) => tally.result[contest.id][o.id]);
  if (recovered.some((c, i) => c !== counts[i])) throw new Error(`wrong counts ${recovered} vs ${counts}`);

  // Worst case of the search: one option at the bound itself.
  const [worst, worstMs] = time(() => {
    const maxAggregate: Aggregate = {
      ballots,
      contests: [
        {
          ...aggregate.contests[0],
          options: contest.options.map((o, i) => ({
            optionId: o.id,
            ciphertext: encrypt(context.jointKey, i === 0 ? ballots - 1 : i === 1 ? 1 : 0),
          })),
        },
      ],
    };
    const worstShares = present.map(
      (index) => createDecryptionShare(context, maxAggregate, index, trustees.secretShares[index - 1]).share,
    );
    return computeTally(context, maxAggregate, worstShares);
  });
  if (!worst.ok || worst.result[contest.id][contest.options[0].id] !== ballots - 1)
    throw new Error("worst case failed");

  log(
    `tally of ${ballots.toLocaleString("en")} ballots, ${contest.options.length} options, trustees ${present.join(",")} of 5`,
  );
  log(`  decryption shares (3)   ${shareMs.toFixed(0)} ms`);
  log(`  verify shares (3)       ${verifyShareMs.toFixed(0)} ms`);
  log(`  combine + recover       ${combineMs.toFixed(0)} ms`);
  log(
    `  worst case (count ${(ballots - 1).toLocaleString("en")}), shares + combine + recover: ${worstMs.toFixed(0)} ms`,
  );
  return {
    ballots,
    decryptionSharesMs: shareMs,
    verifySharesMs: verifyShareMs,
    combineAndRecoverMs: combineMs,
    decryptAndRecoverMs: shareMs + verifyShareMs + combineMs,
    worstCaseMs: worstMs,
  };
}

/** The cost of the group operations every figure above is made of, on the backend in use. */
function benchOperations() {
  const s = randomScalar();
  const p = baseMul(randomScalar());
  const q = baseMul(randomScalar());
  const ops = {
    baseMulUs: perCall(2000, () => baseMul(s)) * 1000,
    varMulUs: perCall(2000, () => pointMul(s, p)) * 1000,
    addUs: perCall(4000, () => pointAdd(p, q)) * 1000,
    subUs: perCall(4000, () => pointSub(p, q)) * 1000,
    hashToScalarUs: perCall(4000, () => hashToScalar("bench", [p, q, p, q, p, q, p, q, p, q])) * 1000,
  };
  log(
    `group ops (${cryptoBackend()}): base mult ${ops.baseMulUs.toFixed(1)} us, variable-base mult ${ops.varMulUs.toFixed(1)} us, ` +
      `add ${ops.addUs.toFixed(1)} us, sub ${ops.subUs.toFixed(1)} us, hash-to-scalar ${ops.hashToScalarUs.toFixed(1)} us`,
  );
  return ops;
}

async function main() {
  await initCrypto();
  log(
    `cores: ${availableParallelism()}, crypto backend: ${cryptoBackend()}, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(", ")}`,
  );
  const operations = benchOperations();
  const reference = setupElection(referenceManifest(), "bench");
  const options = reference.manifest.contests[0].options.map((o) => o.id);
  const referenceChoices = (i: number) => ({ "party-list": [options[i % 5]] });
  const ref = await benchBallot("reference", reference, referenceChoices, 3000);
  const refCheck = await benchCheck("reference", reference, referenceChoices, 3000);
  const larger = setupElection(largerManifest(), "bench");
  const council = larger.manifest.contests[1].options.map((o) => o.id);
  const largerChoices = (i: number) => ({
    "party-list": [options[i % 5]],
    council: council.slice(i % 9, (i % 9) + (i % 4)),
  });
  const big = await benchBallot("larger", larger, largerChoices, 800);
  const bigCheck = await benchCheck("larger", larger, largerChoices, 800);
  const tally = benchTally(reference, 10_000_000);
  const loadAverage = loadavg().map((x) => Number(x.toFixed(2)));
  log(`load average (1, 5, 15 min) at the end: ${loadAverage.join(", ")}`);
  if (json)
    console.log(
      JSON.stringify({
        cores: availableParallelism(),
        backend: cryptoBackend(),
        loadAverage,
        verifiedPerSecondAllCores: ref.verifiedPerSecondAllCores,
        operations,
        reference: { ...ref, ...refCheck },
        larger: { ...big, ...bigCheck },
        tally10M: tally,
      }),
    );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
