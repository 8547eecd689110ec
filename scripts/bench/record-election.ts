/**
 * The election of `npm run bench:record` and its test (test/bench/record.test.ts),
 * on top of the tests' one builder (test/chain/election-flow.ts): its manifest,
 * the issuance journal's entries, and the tally (the trustees' decryption
 * shares of an aggregate and the commission's result).
 */
import { keccak256, toHex, type Hex } from "viem";
import { sendElectionTx } from "../../server/chain/election-reader";
import { evaluatePolynomial, secretKeyShare } from "../../server/protocol/ceremony";
import type { Manifest } from "../../server/protocol/manifest";
import { u64be } from "../../server/protocol/primitives/bytes";
import {
  aggregateHash,
  computeTally,
  createDecryptionShare,
  encodeResult,
  resultHash,
  type Aggregate,
  type TallyResult,
} from "../../server/protocol/tally";
import type { ElectionOnChain } from "../../test/chain/election-flow";
import { referenceManifest } from "../../test/protocol/fixtures";

/** The reference ballot (party list, 5 options, choose 1), one style, 3 trustees of whom 2 decrypt; three days by default. */
export const recordManifest = (opensAt: number, seconds = 3 * 86_400): Manifest => ({
  ...referenceManifest({ count: 3, threshold: 2 }),
  votingWindow: { opensAt, closesAt: opensAt + seconds },
});

/** recordIssuances takes at most MAX_ISSUANCE_BATCH (200) entries. */
export const ISSUANCE_BATCH = 200;

export interface IssuanceEntry {
  voterIdHash: Hex;
  style: number;
  requestHash: Hex;
}

/** The journal entries of voters first .. first+count-1 (style 0): one credential issuance each. */
export const issuanceEntries = (first: number, count: number): IssuanceEntry[] =>
  Array.from({ length: count }, (_, k) => ({
    voterIdHash: keccak256(u64be(BigInt(first + k))),
    style: 0,
    requestHash: keccak256(toHex(`bench:record request ${first + k}`)),
  }));

/**
 * The tally of `aggregate`: every trustee posts its decryption share (its
 * secret share s_j from the ceremony's polynomials, protocol.md 7.5), the
 * commission publishes the result the first `threshold` shares give.
 */
export async function publishTally(e: ElectionOnChain, aggregate: Aggregate): Promise<TallyResult> {
  const { client, election, context } = e;
  const hash = toHex(aggregateHash(context, aggregate));
  const shares = [];
  for (const [j, wallet] of e.trustees.entries()) {
    const secret = secretKeyShare(e.trusteeSecrets.map((s) => evaluatePolynomial(s.polynomial, j + 1)));
    const made = createDecryptionShare(context, aggregate, j + 1, secret);
    shares.push(made.share);
    await sendElectionTx(wallet, client, election, "postDecryptionShare", [hash, toHex(made.bytes)]);
  }
  const tally = computeTally(context, aggregate, shares.slice(0, e.manifest.trustees.threshold));
  if (!tally.ok) throw new Error(tally.reason);
  const bytes = encodeResult(tally.result);
  await sendElectionTx(e.commission, client, election, "publishResult", [
    toHex(resultHash(context, bytes)),
    toHex(bytes),
  ]);
  return tally.result;
}
