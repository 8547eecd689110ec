import fs from "node:fs";
import path from "node:path";
import { isAddressEqual, type Address, type Hex } from "viem";
import { z } from "zod";
import type { RelayReceipt, StoredCredential, StoredCredentialRequest } from "./booth";
import { newVotingKey } from "./booth";

/**
 * The voter's local file: the voting key (a secret: whoever holds it can
 * re-vote in the voter's name, so the file is written with mode 0600), the
 * credential request while it is in flight, the credential, and every ballot
 * with its receipt. Written atomically (temporary file, fsync, rename), and
 * always before the network call it prepares, so a retry after a crash sends
 * the same credential request.
 */
const hex = z.string().regex(/^0x[0-9a-fA-F]*$/);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

const walletSchema = z.object({
  version: z.literal(1),
  chainId: z.string().regex(/^[0-9]+$/),
  election: address,
  votingKey: hex.refine((s) => s.length === 66, "voting key must be 32 bytes"),
  pendingRequest: z
    .object({ styleIndex: z.number().int().min(0), preparedMessage: hex, blindedMessage: hex, inverse: hex })
    .nullable(),
  credential: z
    .object({ styleIndex: z.number().int().min(0), messagePrefix: hex, signature: hex })
    .nullable(),
  issuance: z.object({ requestHash: hex, transactionHash: hex, blockNumber: z.string() }).nullable(),
  ballots: z.array(
    z.object({
      sequence: z.string().regex(/^[0-9]+$/),
      ballotHash: hex,
      trackingCode: z.string(),
      preparedAt: z.number(),
      relayUrl: z.string().nullable(),
      answer: z
        .object({
          receipt: z.object({
            election: address,
            trackingCode: z.string(),
            ballotHash: hex,
            sequence: z.string(),
            acceptedAt: z.number(),
          }),
          signature: hex,
          relay: address,
        })
        .nullable(),
    }),
  ),
});

export interface WalletBallot {
  sequence: string;
  ballotHash: Hex;
  trackingCode: string;
  preparedAt: number;
  relayUrl: string | null;
  answer: RelayReceipt | null;
}

export interface VoterWallet {
  version: 1;
  chainId: string;
  election: Address;
  votingKey: Hex;
  pendingRequest: StoredCredentialRequest | null;
  credential: StoredCredential | null;
  issuance: { requestHash: Hex; transactionHash: Hex; blockNumber: string } | null;
  ballots: WalletBallot[];
}

export class WalletFileError extends Error {}

export function readWallet(file: string): VoterWallet | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new WalletFileError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new WalletFileError(`${file} is not JSON`);
  }
  const parsed = walletSchema.safeParse(raw);
  if (!parsed.success)
    throw new WalletFileError(
      `${file} is not a voter wallet: ${parsed.error.issues[0].path.join(".")} ${parsed.error.issues[0].message}`,
    );
  return parsed.data as VoterWallet;
}

/** Writes the wallet atomically; asynchronous, so that the fsync does not hold up other work of the thread. */
export async function writeWallet(file: string, wallet: VoterWallet): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  await fs.promises.mkdir(dir, { recursive: true });
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const handle = await fs.promises.open(temporary, "w", 0o600);
  try {
    await handle.writeFile(JSON.stringify(wallet, null, 2) + "\n");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(temporary, file);
}

/** The wallet of this election in `file`, created (with a fresh voting key) when missing. */
export async function openWallet(
  file: string,
  location: { chainId: bigint; election: Address },
): Promise<VoterWallet> {
  const existing = readWallet(file);
  if (existing !== null) {
    if (
      existing.chainId !== location.chainId.toString() ||
      !isAddressEqual(existing.election, location.election)
    )
      throw new WalletFileError(
        `${file} belongs to election ${existing.election} on chain ${existing.chainId}, not ${location.election}`,
      );
    return existing;
  }
  const wallet: VoterWallet = {
    version: 1,
    chainId: location.chainId.toString(),
    election: location.election,
    votingKey: newVotingKey(),
    pendingRequest: null,
    credential: null,
    issuance: null,
    ballots: [],
  };
  await writeWallet(file, wallet);
  return wallet;
}
