/**
 * Gas per ballot and per credential issuance: `npm run bench:gas` (add `-- --json` for one JSON
 * object on stdout).
 *
 * Starts its own Hardhat node, deploys the contracts, and casts batches of 1, 10
 * and 50 reference ballots (one contest of 5 options, choose 1, encrypted and
 * proved by the protocol module, with a 2048-bit credential) signed by fresh
 * voting keys, then 50 re-votes. Prints the gas per ballot and its breakdown
 * against the floor: a new storage slot (22,100) + the ballot's calldata + ecrecover (3,000).
 * Then the registrar's issuance journal: gas per issuance of recordIssuance (one transaction a
 * voter) and of recordIssuances at batches of 1, 10, 50 and 100 (random 32-byte journal keys and
 * request hashes, as keccak outputs are).
 */
import { randomBytes } from "node:crypto";
import { encodeFunctionData, keccak256, stringToHex, toHex, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { publicClientFor, walletClientFor, type AccountWalletClient } from "../../server/chain/clients";
import {
  castBallots,
  createElection,
  deployFactory,
  roleId,
  type SignedBallot,
} from "../../server/chain/deploy";
import { electionAbi } from "../../server/chain/generated/abis";
import { startLocalNode } from "../../server/chain/local-node";
import { encryptBallot } from "../../server/protocol/ballot";
import { nullifierOf, signBallot } from "../../server/protocol/eip712";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { referenceManifest, setupElection } from "../../test/protocol/fixtures";

const json = process.argv.includes("--json");
const log = (line: string) => console.error(line);

const INTRINSIC_GAS = 21_000;
const ECRECOVER_GAS = 3_000;
const NEW_SLOT_GAS = 22_100;
/** BallotCast: LOG2 (375 + 2 * 375) with 3 data words (8 gas a byte). */
const BALLOT_CAST_EVENT_GAS = 375 + 2 * 375 + 8 * 96;
/** CredentialIssued: LOG3 (375 + 3 * 375) with 1 data word. */
const CREDENTIAL_ISSUED_EVENT_GAS = 375 + 3 * 375 + 8 * 32;
/** A first read of a storage slot in the transaction (hasPaperBallot[voterIdHash]). */
const COLD_SLOAD_GAS = 2_100;

const calldataGas = (data: Hex): number => {
  let gas = 0;
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === "00" ? 4 : 16;
  return gas;
};

async function main() {
  await initCrypto();
  const node = await startLocalNode({ kind: "hardhat" });
  try {
    const endpoint = { rpcUrl: node.rpcUrl, chainId: node.chainId };
    const client = publicClientFor(endpoint);
    const [admin, relayWallet, registrarWallet, ...trusteeWallets] = node.privateKeys.map((key) =>
      walletClientFor(endpoint, key),
    );
    const trustees = trusteeWallets.slice(0, 5);
    const fixture = setupElection(referenceManifest(), "gas-bench");
    const now = (await client.getBlock()).timestamp;
    const factory = await deployFactory(admin, client);
    const { election } = await createElection(
      admin,
      client,
      factory,
      {
        manifestHash: keccak256(stringToHex("gas-bench")),
        opensAt: now + 3600n,
        closesAt: now + 3n * 86400n,
        revotePolicy: 1,
        threshold: 3,
        trustees: trustees.map((w) => w.account.address),
        ballotStyleCount: 1,
        commission: admin.account.address,
      },
      new TextEncoder().encode(JSON.stringify(fixture.manifest)),
    );
    const write = (wallet: (typeof trustees)[number], functionName: string, args: unknown[]) =>
      wallet
        .writeContract({
          address: election,
          abi: electionAbi,
          functionName: functionName as never,
          args: args as never,
        })
        .then((hash) => client.waitForTransactionReceipt({ hash }));
    // The contract stores the ceremony's bytes without checking them; the joint key is the fixture's.
    for (const [i, trustee] of trustees.entries()) {
      const commitments = toHex(Buffer.concat(fixture.trustees.commitments[i].map((c) => Buffer.from(c))));
      await write(trustee, "postTrusteeKeys", [
        commitments,
        toHex(randomBytes(64 * 3)),
        toHex(randomBytes(32)),
      ]);
    }
    for (const trustee of trustees) await write(trustee, "postShares", [toHex(randomBytes(64 * 4))]);
    for (const trustee of trustees)
      await write(trustee, "confirmJointKey", [toHex(fixture.trustees.jointKey)]);
    await write(admin, "grantRole", [roleId("RELAY_ROLE"), relayWallet.account.address]);
    await write(admin, "grantRole", [roleId("REGISTRAR_ROLE"), registrarWallet.account.address]);
    // A 2048-bit modulus by the one modulus rule (top bit set, odd; docs/protocol.md section 8), before opening.
    const modulus = new Uint8Array(randomBytes(256));
    modulus[0] |= 0x80;
    modulus[255] |= 1;
    await write(registrarWallet, "setRegistrarKey", [0, toHex(modulus)]);
    await client.request({ method: "evm_increaseTime" as never, params: [3601] as never });
    await client.request({ method: "evm_mine" as never, params: [] as never });

    const location = { chainId: BigInt(node.chainId), election };
    const context = { ...fixture.context, ...location };
    const options = fixture.manifest.contests[0].options.map((o) => o.id);
    const voters: ReturnType<typeof privateKeyToAccount>[] = [];
    /** A reference ballot; the credential's bytes are what a 2048-bit RSA signature looks like to the EVM (uniform). */
    async function referenceBallot(
      voter: ReturnType<typeof privateKeyToAccount>,
      sequence: bigint,
    ): Promise<SignedBallot> {
      const nullifier = nullifierOf(election, voter.address);
      const credential = {
        messagePrefix: new Uint8Array(randomBytes(32)),
        signature: new Uint8Array(randomBytes(256)),
      };
      const { bytes } = encryptBallot(
        context,
        0,
        { [fixture.manifest.contests[0].id]: [options[voters.length % 5]] },
        nullifier,
        credential,
      );
      return {
        ballot: toHex(bytes),
        sequence,
        signature: await signBallot(voter, location, bytes, sequence),
      };
    }

    // A first ballot moves the running hash and the ballot count off zero: a one-time cost kept out of the figures.
    await castBallots(relayWallet, client, election, [
      await referenceBallot(privateKeyToAccount(generatePrivateKey()), 1n),
    ]);
    const results: Record<string, number> = {};
    let ballotBytes = 0;
    let calldataPerBallot = 0;
    for (const size of [1, 10, 50]) {
      const batch: SignedBallot[] = [];
      for (let i = 0; i < size; i++) {
        const voter = privateKeyToAccount(generatePrivateKey());
        batch.push(await referenceBallot(voter, 1n));
        voters.push(voter);
      }
      ballotBytes = (batch[0].ballot.length - 2) / 2;
      const outcome = await castBallots(relayWallet, client, election, batch);
      if (outcome.accepted.length !== size)
        throw new Error(`batch ${size}: ${outcome.rejected.length} rejected`);
      const receipt = await client.getTransactionReceipt({ hash: outcome.transactionHash });
      const tx = await client.getTransaction({ hash: outcome.transactionHash });
      results[String(size)] = Math.round(Number(receipt.gasUsed) / size);
      calldataPerBallot = Math.round(calldataGas(tx.input) / size);
      log(`batch ${String(size).padStart(2)}: ${results[String(size)].toLocaleString("en")} gas per ballot`);
    }
    const revotes: SignedBallot[] = [];
    for (const voter of voters.slice(-50)) revotes.push(await referenceBallot(voter, 2n));
    const revoteOutcome = await castBallots(relayWallet, client, election, revotes);
    if (revoteOutcome.accepted.length !== 50)
      throw new Error(`re-votes: ${JSON.stringify(revoteOutcome.rejected.slice(0, 2))}`);
    const revoteReceipt = await client.getTransactionReceipt({ hash: revoteOutcome.transactionHash });
    const revoteGasPerBallotAt50 = Math.round(Number(revoteReceipt.gasUsed) / 50);
    log(`re-votes at batch 50: ${revoteGasPerBallotAt50.toLocaleString("en")} gas per ballot`);

    const issuance = await issuanceGas(write, registrarWallet);

    const at50 = results["50"];
    const floor = NEW_SLOT_GAS + calldataPerBallot + ECRECOVER_GAS;
    const intrinsic = Math.round(INTRINSIC_GAS / 50);
    const breakdown = {
      intrinsic,
      calldata: calldataPerBallot,
      ecrecover: ECRECOVER_GAS,
      newStorageSlot: NEW_SLOT_GAS,
      event: BALLOT_CAST_EVENT_GAS,
      rest: at50 - intrinsic - calldataPerBallot - ECRECOVER_GAS - NEW_SLOT_GAS - BALLOT_CAST_EVENT_GAS,
    };
    const ratioToFloor = Math.round((at50 / floor) * 1000) / 1000;
    log(
      `ballot: ${ballotBytes} bytes (calldata per ballot incl. signature and ABI framing: ${calldataPerBallot} gas)`,
    );
    log(`breakdown at batch 50: ${JSON.stringify(breakdown)}`);
    log(
      `floor ${floor.toLocaleString("en")} gas; ratio ${ratioToFloor}; target <= 55,000 at batch 50: ${at50 <= 55_000 ? "met" : "MISSED"}`,
    );
    const report = {
      gasPerBallot: results,
      revoteGasPerBallotAt50,
      ballotBytes,
      floor,
      ratioToFloor,
      breakdownAt50: breakdown,
      gasPerIssuance: issuance.gasPerIssuance,
      issuanceBreakdownAt100: issuance.breakdownAt100,
    };
    if (json) console.log(JSON.stringify(report));
    else {
      console.log("| batch | gas per ballot |\n|---|---|");
      for (const [size, gas] of Object.entries(results))
        console.log(`| ${size} | ${gas.toLocaleString("en")} |`);
      console.log(`| 50 (re-votes) | ${revoteGasPerBallotAt50.toLocaleString("en")} |`);
      console.log(`\nfloor ${floor} (new slot + calldata + ecrecover), ratio at 50: ${ratioToFloor}`);
      console.log("\n| issuance journal | gas per issuance |\n|---|---|");
      for (const [size, gas] of Object.entries(issuance.gasPerIssuance))
        console.log(
          `| ${size === "single" ? "recordIssuance" : `recordIssuances, batch ${size}`} | ${gas.toLocaleString("en")} |`,
        );
    }
  } finally {
    await node.stop();
  }
}

type Write = (
  wallet: AccountWalletClient,
  functionName: string,
  args: unknown[],
) => Promise<{ gasUsed: bigint; status: string }>;

/**
 * Gas per issuance of the registrar's journal: the single recordIssuance (mean of 10 voters) and
 * recordIssuances at batches of 1, 10, 50 and 100. A first issuance moves the counters off zero
 * (a one-time cost, kept out as for ballots).
 */
async function issuanceGas(write: Write, registrar: AccountWalletClient) {
  const entry = () => ({
    voterIdHash: toHex(randomBytes(32)),
    style: 0,
    requestHash: toHex(randomBytes(32)),
  });
  const send = async (functionName: string, args: unknown[]) => {
    const receipt = await write(registrar, functionName, args);
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
    return Number(receipt.gasUsed);
  };
  const single = (e: ReturnType<typeof entry>) => [e.voterIdHash, e.style, e.requestHash];
  await send("recordIssuance", single(entry()));
  let singleTotal = 0;
  for (let i = 0; i < 10; i++) singleTotal += await send("recordIssuance", single(entry()));
  const gas: Record<string, number> = { single: Math.round(singleTotal / 10) };
  log(`recordIssuance: ${gas.single.toLocaleString("en")} gas per issuance`);
  let calldataAt100 = 0;
  for (const size of [1, 10, 50, 100]) {
    const batch = Array.from({ length: size }, entry);
    const used = await send("recordIssuances", [batch]);
    gas[String(size)] = Math.round(used / size);
    log(
      `recordIssuances batch ${String(size).padStart(3)}: ${gas[String(size)].toLocaleString("en")} gas per issuance`,
    );
    const data = encodeFunctionData({ abi: electionAbi, functionName: "recordIssuances", args: [batch] });
    calldataAt100 = Math.round(calldataGas(data) / size);
  }
  const at100 = gas["100"];
  const intrinsic = Math.round(INTRINSIC_GAS / 100);
  const breakdown = {
    intrinsic,
    calldata: calldataAt100,
    newStorageSlot: NEW_SLOT_GAS,
    paperBallotCheck: COLD_SLOAD_GAS,
    event: CREDENTIAL_ISSUED_EVENT_GAS,
    rest: at100 - intrinsic - calldataAt100 - NEW_SLOT_GAS - COLD_SLOAD_GAS - CREDENTIAL_ISSUED_EVENT_GAS,
  };
  log(`issuance breakdown at batch 100: ${JSON.stringify(breakdown)}`);
  return { gasPerIssuance: gas, breakdownAt100: breakdown };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
