import { expect } from "chai";
import {
  AbiCoder,
  Interface,
  keccak256 as ethersKeccak,
  Signature,
  TypedDataEncoder,
  verifyTypedData,
} from "ethers";
import {
  decodeEventLog,
  decodeFunctionData,
  encodeEventTopics,
  encodeAbiParameters,
  encodeFunctionData,
  hashDomain,
  hashTypedData,
  type AbiEvent,
  type Hex,
} from "viem";
import { castBatchOf } from "../../server/chain/election-reader";
import { electionAbi, electionFactoryAbi } from "../../server/chain/generated/abis";
import { recoverAttestationSigner } from "../../server/protocol/attestation";
import {
  attestationTypes,
  ballotDigest,
  ballotDomain,
  ballotTypes,
  nullifierOf,
  recoverBallotSigner,
} from "../../server/protocol/eip712";
import { hexToBytes } from "../../server/protocol/primitives/bytes";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import type { ElectionRecord } from "../../server/protocol/record";
import { nextRunningHash, ZERO_RUNNING_HASH } from "../../server/protocol/running-hash";
import type { ChainPublicClient } from "../../server/chain/deploy";
import { RecordBuilder } from "../conformance/kit";

/**
 * The Ethereum side checked against a second, independent implementation:
 * ethers v6 recomputes every EIP-712 digest and signer (ballots,
 * attestations), the nullifier, the running hash, the decoding of the
 * castBallots calldata and of every event of the Election and factory ABIs,
 * on honest and on malformed input, and must give the answers of the code's
 * viem path (and of the native recovery, when it is active).
 */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const coder = AbiCoder.defaultAbiCoder();
const ethersTypes = (types: Record<string, readonly { name: string; type: string }[]>) =>
  Object.fromEntries(Object.entries(types).map(([k, v]) => [k, v.map((f) => ({ ...f }))]));

/** What ethers recovers, or null when it refuses the signature (or recovers nothing). */
function ethersSigner(domain: object, types: object, value: object, signature: string): string | null {
  try {
    const sig = Signature.from(signature);
    // The contract (OpenZeppelin ECDSA) and the protocol refuse a high s and a v other than 27 or 28
    // (ethers accepts both, normalising): the same rule on ethers' parse of the signature.
    const v = parseInt(signature.slice(130, 132), 16);
    if (BigInt(sig.s) > SECP256K1_N / 2n || (v !== 27 && v !== 28)) return null;
    return verifyTypedData(domain as never, types as never, value, signature);
  } catch {
    return null;
  }
}

function withHighS(signature: Hex): Hex {
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = parseInt(signature.slice(130, 132), 16);
  return `0x${signature.slice(2, 66)}${(SECP256K1_N - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}`;
}

/** Malformed variants of a signature: bad v, high s, truncated, r = 0, one bit of s flipped. */
function malformed(signature: Hex): Hex[] {
  return [
    `${signature.slice(0, 130)}1d` as Hex,
    `${signature.slice(0, 130)}00` as Hex,
    withHighS(signature),
    signature.slice(0, 128) as Hex,
    `0x${"00".repeat(32)}${signature.slice(66)}` as Hex,
    `${signature.slice(0, 100)}${(parseInt(signature[100], 16) ^ 1).toString(16)}${signature.slice(101)}` as Hex,
  ];
}

/** A sample value of an ABI type, different per `seed`. */
function sample(type: string, seed: number): unknown {
  if (type.endsWith("[]")) return [sample(type.slice(0, -2), seed), sample(type.slice(0, -2), seed + 1)];
  const byte = (seed * 37 + 11) & 0xff;
  if (type === "address") return `0x${byte.toString(16).padStart(2, "0").repeat(20)}`;
  if (type === "bool") return seed % 2 === 0;
  if (type === "string") return `s${seed}`;
  if (type === "bytes")
    return `0x${byte
      .toString(16)
      .padStart(2, "0")
      .repeat((seed % 5) + 1)}`;
  const fixed = /^bytes(\d+)$/.exec(type);
  if (fixed) return `0x${byte.toString(16).padStart(2, "0").repeat(Number(fixed[1]))}`;
  const uint = /^uint(\d+)$/.exec(type);
  if (uint) return BigInt(seed * 1000 + 7) % (1n << BigInt(uint[1]));
  throw new Error(`no sample for ${type}`);
}

/** viem's decoded args as plain values comparable with ethers' (bigints for integers, lower-case hex). */
const plain = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(plain)
    : typeof value === "number"
      ? BigInt(value)
      : typeof value === "string"
        ? value.startsWith("0x")
          ? value.toLowerCase()
          : value
        : value;

describe("ethers cross-check of the Ethereum side", function () {
  this.timeout(300_000);
  let record: ElectionRecord;
  let location: { chainId: bigint; election: Hex };
  const domain = () => ({
    name: "ballot-ledger",
    version: "1",
    chainId: location.chainId,
    verifyingContract: location.election,
  });

  before(async () => {
    await initCrypto();
    const b = new RecordBuilder("ethers-crosscheck").ceremonyRound();
    await b.cast("n-ann", { mayor: ["ada"], council: ["dee"] });
    await b.cast("s-cat", { mayor: ["bob"] });
    await b.cast("n-ann", { mayor: ["cyd"], council: [] });
    await b.cast("n-eli", { mayor: ["bob"], council: ["eve"] }, { tamper: "changed-unsigned" });
    b.decrypt([1, 2]).publish();
    await b.attest("obs-1");
    record = b.build("ethers", "cross-check").record;
    location = { chainId: BigInt(record.chainId), election: record.election };
  });

  it("EIP-712 ballot digests and signers, honest and malformed, are the same under ethers", async () => {
    expect(
      hashDomain({
        domain: ballotDomain(location.chainId, location.election),
        types: {
          EIP712Domain: [
            { name: "name", type: "string" },
            { name: "version", type: "string" },
            { name: "chainId", type: "uint256" },
            { name: "verifyingContract", type: "address" },
          ],
        },
      }),
    ).to.equal(TypedDataEncoder.hashDomain(domain()));
    for (const ballot of record.ballots) {
      const sequence = BigInt(ballot.sequence);
      const value = { ballot: ballot.ballot, sequence };
      const types = ethersTypes(ballotTypes);
      expect(ballotDigest(location, hexToBytes(ballot.ballot), sequence)).to.equal(
        TypedDataEncoder.hash(domain(), types, value),
      );
      for (const signature of [ballot.signature, ...malformed(ballot.signature)]) {
        const ours = await recoverBallotSigner(location, hexToBytes(ballot.ballot), sequence, signature);
        expect(ours, signature).to.equal(ethersSigner(domain(), types, value, signature));
      }
      // The nullifier the contract recorded is the signer's, computed by ethers too.
      const signer = ethersSigner(domain(), types, value, ballot.signature)!;
      const ethersNullifier = ethersKeccak(coder.encode(["address", "address"], [location.election, signer]));
      expect(nullifierOf(location.election, signer as Hex)).to.equal(ethersNullifier);
      expect(ballot.nullifier).to.equal(ethersNullifier);
    }
  });

  it("attestation digests and signers are the same under ethers", async () => {
    const types = ethersTypes(attestationTypes);
    for (const a of record.attestations) {
      const message = {
        election: record.election,
        resultHash: a.resultHash,
        tallyHash: a.tallyHash,
        resultMatches: a.resultMatches,
      };
      expect(
        hashTypedData({
          domain: ballotDomain(location.chainId, location.election),
          types: attestationTypes,
          primaryType: "Attestation",
          message,
        }),
      ).to.equal(TypedDataEncoder.hash(domain(), types, message));
      for (const signature of [a.signature, ...malformed(a.signature)])
        expect(await recoverAttestationSigner(location, message, signature)).to.equal(
          ethersSigner(domain(), types, message, signature),
        );
      expect(ethersSigner(domain(), types, message, a.signature)).to.equal(a.observer);
      // Another message under the same signature: ethers and viem recover the same other address.
      const other = { ...message, resultMatches: !message.resultMatches };
      expect(await recoverAttestationSigner(location, other, a.signature)).to.equal(
        ethersSigner(domain(), types, other, a.signature),
      );
    }
  });

  it("the running hash is the same under ethers, event by event", () => {
    let ethersRunning = ZERO_RUNNING_HASH as string;
    let ours: Hex = ZERO_RUNNING_HASH;
    for (const b of record.ballots) {
      ethersRunning = ethersKeccak(
        coder.encode(
          ["bytes32", "bytes32", "uint64", "bytes32"],
          [ethersRunning, b.nullifier, b.sequence, b.ballotHash],
        ),
      );
      ours = nextRunningHash(ours, b.nullifier, BigInt(b.sequence), b.ballotHash);
      expect(ours).to.equal(ethersRunning);
      expect(b.runningHash).to.equal(ethersRunning);
    }
  });

  it("castBallots calldata decodes the same under ethers, and malformed calldata is refused by both", async () => {
    const election = new Interface(electionAbi as never);
    const batch = record.ballots.map((b) => ({
      ballot: b.ballot,
      sequence: BigInt(b.sequence),
      signature: b.signature,
    }));
    const ethersData = election.encodeFunctionData("castBallots", [batch]) as Hex;
    const viemData = encodeFunctionData({ abi: electionAbi, functionName: "castBallots", args: [batch] });
    expect(viemData).to.equal(ethersData);
    // The reader's own path (castBatchOf) over a transaction whose input is the ethers encoding.
    const client = { getTransaction: async () => ({ input: ethersData }) } as unknown as ChainPublicClient;
    const read = await castBatchOf(client, `0x${"ab".repeat(32)}`);
    expect(read.map((b) => ({ ...b, ballot: b.ballot.toLowerCase() }))).to.deep.equal(batch);
    const decoded = election.decodeFunctionData("castBallots", viemData)[0] as {
      ballot: string;
      sequence: bigint;
      signature: string;
    }[];
    expect(
      decoded.map((b) => ({ ballot: b.ballot, sequence: b.sequence, signature: b.signature })),
    ).to.deep.equal(batch);
    for (const bad of [
      ethersData.slice(0, ethersData.length - 64) as Hex,
      `${ethersData.slice(0, 10)}${"ff".repeat(40)}` as Hex,
    ]) {
      expect(() => decodeFunctionData({ abi: electionAbi, data: bad }), bad.slice(0, 20)).to.throw();
      expect(() => election.decodeFunctionData("castBallots", bad)).to.throw();
      const badClient = { getTransaction: async () => ({ input: bad }) } as unknown as ChainPublicClient;
      let refused: unknown = null;
      await castBatchOf(badClient, `0x${"ab".repeat(32)}`).catch((error: unknown) => (refused = error));
      expect(refused, bad.slice(0, 20)).to.be.an("error");
    }
  });

  it("every event of the Election and factory ABIs decodes the same under ethers, both ways; malformed logs are refused by both", () => {
    for (const abi of [electionAbi, electionFactoryAbi] as const) {
      const iface = new Interface(abi as never);
      const events = (abi as readonly { type: string }[]).filter(
        (x) => x.type === "event",
      ) as unknown as AbiEvent[];
      expect(events.length).to.be.greaterThan(0);
      for (const [n, event] of events.entries()) {
        const values = event.inputs.map((input, i) => sample(input.type, n * 10 + i));
        // ethers encodes, viem decodes.
        const fragment = iface.getEvent(event.name)!;
        const encoded = iface.encodeEventLog(fragment, values);
        const viemLog = decodeEventLog({
          abi,
          data: encoded.data as Hex,
          topics: encoded.topics as [Hex, ...Hex[]],
          strict: true,
        });
        expect(viemLog.eventName).to.equal(event.name);
        const args = viemLog.args as Record<string, unknown>;
        event.inputs.forEach((input, i) =>
          expect(plain(args[input.name!]), `${event.name}.${input.name}`).to.deep.equal(plain(values[i])),
        );
        // viem encodes, ethers decodes.
        const indexed = event.inputs.filter((i) => i.indexed);
        const topics = encodeEventTopics({
          abi: [event],
          eventName: event.name,
          args: Object.fromEntries(
            event.inputs.flatMap((input, i) => (input.indexed ? [[input.name!, values[i]]] : [])),
          ),
        } as never);
        const data = encodeAbiParameters(
          event.inputs.filter((i) => !i.indexed),
          event.inputs.flatMap((input, i) => (input.indexed ? [] : [values[i]])),
        );
        const parsed = iface.parseLog({ topics: topics as string[], data })!;
        expect(parsed.name).to.equal(event.name);
        event.inputs.forEach((input, i) =>
          expect(
            plain(
              parsed.args[i] instanceof Object && "toArray" in parsed.args[i]
                ? parsed.args[i].toArray()
                : parsed.args[i],
            ),
            `${event.name}.${input.name}`,
          ).to.deep.equal(plain(values[i])),
        );
        expect(topics).to.have.length(indexed.length + 1);
        // Malformed: data cut short (when the event has data), or a topic missing.
        if (data.length > 2) {
          // A whole word short (viem accepts data short of its last padding bytes, ethers does not).
          const cut = data.slice(0, data.length - 64) as Hex;
          expect(
            () => decodeEventLog({ abi, data: cut, topics: topics as [Hex, ...Hex[]], strict: true }),
            event.name,
          ).to.throw();
          expect(() => iface.decodeEventLog(fragment, cut, topics as string[]), event.name).to.throw();
        }
        if (indexed.length > 0) {
          const fewer = topics.slice(0, -1) as [Hex, ...Hex[]];
          expect(() => decodeEventLog({ abi, data, topics: fewer, strict: true }), event.name).to.throw();
          expect(() => iface.decodeEventLog(fragment, data, fewer as string[]), event.name).to.throw();
        }
      }
    }
  });
});
