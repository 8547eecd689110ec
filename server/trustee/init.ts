import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { connect, publicClientFor } from "../chain/clients";
import { electionAbi } from "../chain/generated/abis";
import { generateTrusteeSecret } from "../protocol/ceremony";
import { StepRefusal } from "./errors";
import { KDF_MODERATE, TrusteeKeystore, type KdfLimits } from "./keystore";
import { currentPhase, requireElection } from "./session";

/**
 * `trustee init`: makes the trustee's ceremony secrets for the election's
 * current ceremony round and stores them, with the trustee's Ethereum key,
 * in a new encrypted key file. Refuses when the account is not a trustee of
 * the current round or the ceremony is over, and never overwrites a file.
 */
export interface InitOptions {
  rpcUrl: string;
  election: Address;
  accountKey: Hex;
  keyFile: string;
  passphrase: string;
  kdf?: KdfLimits;
}

export interface InitOutcome {
  keystore: TrusteeKeystore;
  chainId: number;
  round: number;
  trusteeIndex: number;
  trusteeAddress: Address;
}

export async function initTrustee(options: InitOptions): Promise<InitOutcome> {
  const endpoint = await connect(options.rpcUrl);
  const client = publicClientFor(endpoint);
  await requireElection(client, options.election);
  const trusteeAddress = privateKeyToAccount(options.accountKey).address;
  const phase = await currentPhase(client, options.election);
  if (phase !== "KeyCeremony")
    throw new StepRefusal(
      "wrong-phase",
      `election ${options.election} is in phase ${phase}: its key ceremony is over, there is nothing to initialise`,
    );
  const read = { address: options.election, abi: electionAbi } as const;
  const [threshold, round, trusteeIndex] = await Promise.all([
    client.readContract({ ...read, functionName: "threshold" }),
    client.readContract({ ...read, functionName: "ceremonyRound" }),
    client.readContract({ ...read, functionName: "trusteeIndexOf", args: [trusteeAddress] }),
  ]);
  if (trusteeIndex === 0)
    throw new StepRefusal(
      "not-trustee",
      `account ${trusteeAddress} is not a trustee of ceremony round ${round} of election ${options.election}`,
    );
  const keystore = TrusteeKeystore.create(
    options.keyFile,
    options.passphrase,
    {
      chainId: BigInt(endpoint.chainId),
      election: options.election,
      accountKey: options.accountKey,
      trusteeAddress,
      threshold,
      current: {
        round,
        trusteeIndex,
        secret: generateTrusteeSecret(threshold),
        receivedShares: new Map(),
        secretKeyShare: null,
        jointKey: null,
      },
    },
    options.kdf ?? KDF_MODERATE,
  );
  return { keystore, chainId: endpoint.chainId, round, trusteeIndex, trusteeAddress };
}
