import { keccak256, stringToHex, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { publicClientFor, walletClientFor, type ChainEndpoint } from "../../server/chain/clients";
import {
  castBallots,
  createElection,
  deployFactory,
  roleId,
  type CastOutcome,
} from "../../server/chain/deploy";
import { electionAbi } from "../../server/chain/generated/abis";
import { signBallot } from "../../server/protocol/eip712";

/**
 * One deploy -> ceremony -> cast flow through standard JSON-RPC (plus evm_increaseTime and
 * evm_mine to move the clock, which both development nodes implement). Deterministic keys and
 * ballots, so two independent nodes must end with the same addresses and running hash.
 */
export interface LedgerFlowResult {
  factory: Address;
  election: Address;
  outcomes: CastOutcome[];
  runningHash: Hex;
  ballotCount: bigint;
  phase: number;
}

const voterKey = (i: number): Hex => keccak256(stringToHex(`ledger-flow voter ${i}`));
const ballotBytes = (i: number, sequence: number): Uint8Array =>
  new TextEncoder().encode(`opaque ballot ${i}/${sequence} `.repeat(20));

export async function runLedgerFlow(endpoint: ChainEndpoint, privateKeys: Hex[]): Promise<LedgerFlowResult> {
  const client = publicClientFor(endpoint);
  const [commission, relay, ...rest] = privateKeys.map((key) => walletClientFor(endpoint, key));
  const trustees = rest.slice(0, 3);
  const now = (await client.getBlock()).timestamp;
  const opensAt = now + 1000n;
  const factory = await deployFactory(commission, client);
  const { election } = await createElection(
    commission,
    client,
    factory,
    {
      manifestHash: keccak256(stringToHex("ledger-flow manifest")),
      opensAt,
      closesAt: opensAt + 3n * 86400n,
      revotePolicy: 1,
      threshold: 2,
      trustees: trustees.map((t) => t.account.address),
      ballotStyleCount: 1,
      commission: commission.account.address,
    },
    new TextEncoder().encode('{"flow":true}'),
  );
  const send = async (wallet: (typeof trustees)[number], functionName: string, args: unknown[]) => {
    const hash = await wallet.writeContract({
      address: election,
      abi: electionAbi,
      functionName: functionName as never,
      args: args as never,
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
  };
  const filler = (length: number, seed: number): Hex =>
    toHex(new Uint8Array(length).map((_, i) => (i * 7 + seed) % 251 || 1));
  for (const [i, trustee] of trustees.entries()) {
    await send(trustee, "postTrusteeKeys", [filler(64, i), filler(128, i + 10), filler(32, i + 20)]);
  }
  for (const [i, trustee] of trustees.entries()) await send(trustee, "postShares", [filler(128, i + 30)]);
  for (const trustee of trustees) await send(trustee, "confirmJointKey", [filler(32, 99)]);
  await send(commission, "grantRole", [roleId("RELAY_ROLE"), relay.account.address]);
  await client.request({ method: "evm_increaseTime" as never, params: [1001] as never });
  await client.request({ method: "evm_mine" as never, params: [] as never });

  const location = { chainId: BigInt(endpoint.chainId), election };
  const signed = async (i: number, sequence: number) => {
    const ballot = ballotBytes(i, sequence);
    const signature = await signBallot(privateKeyToAccount(voterKey(i)), location, ballot, BigInt(sequence));
    return { ballot: toHex(ballot), sequence: BigInt(sequence), signature };
  };
  const outcomes = [
    await castBallots(relay, client, election, [await signed(0, 1), await signed(1, 1), await signed(2, 1)]),
    // a re-vote, a replay of an old sequence and a broken signature in one batch
    await castBallots(relay, client, election, [
      await signed(1, 2),
      await signed(0, 1),
      { ...(await signed(3, 1)), signature: filler(65, 5) },
    ]),
  ];
  const read = <T>(functionName: string) =>
    client.readContract({
      address: election,
      abi: electionAbi,
      functionName: functionName as never,
    }) as Promise<T>;
  return {
    factory,
    election,
    outcomes,
    runningHash: await read<Hex>("runningHash"),
    ballotCount: await read<bigint>("ballotCount"),
    phase: await read<number>("phase"),
  };
}
