import path from "node:path";
import { publicClientFor } from "../../server/chain/clients";
import { PHASE_NAMES } from "../../server/chain/deploy";
import { electionAbi } from "../../server/chain/generated/abis";
import { runCeremony } from "../../server/trustee/ceremony-step";
import { initTrustee } from "../../server/trustee/init";
import { KDF_INTERACTIVE } from "../../server/trustee/keystore";
import { openTrusteeSession, type TrusteeSession } from "../../server/trustee/session";
import type { Chain } from "./chain";
import type { CreatedElection } from "./create-election";
import { progressBar, step } from "./progress";

/**
 * Stage 2, the trustees: each writes an encrypted key file, then all run the
 * key ceremony step by step (each step is resumable; a pass lets every
 * trustee do what it can) until the election is Ready with a joint key.
 */
export async function runKeyCeremony(
  chain: Chain,
  { election, manifest }: CreatedElection,
  outDir: string,
): Promise<TrusteeSession[]> {
  const { accounts } = chain;
  const endpoint = chain.roles.trustees;
  const client = publicClientFor(endpoint);
  step(
    `${accounts.trustees.length} trustees (threshold ${manifest.trustees.threshold}): key files and the key ceremony`,
  );
  const maxPasses = 4;
  const bar = progressBar("key ceremony", accounts.trustees.length * (1 + maxPasses));
  const sessions: TrusteeSession[] = [];
  for (const [i, accountKey] of accounts.trustees.entries()) {
    const { keystore } = await initTrustee({
      rpcUrl: endpoint.rpcUrl,
      election,
      accountKey,
      keyFile: path.join(outDir, "trustees", `trustee-${i + 1}.key.json`),
      passphrase: `simulation passphrase of trustee ${i + 1}`,
      kdf: KDF_INTERACTIVE,
    });
    sessions.push(await openTrusteeSession(endpoint.rpcUrl, keystore));
    bar.tick();
  }
  for (let pass = 0; pass < maxPasses; pass++) {
    for (const session of sessions) {
      await runCeremony(session);
      bar.tick();
    }
    const phase = await client.readContract({ address: election, abi: electionAbi, functionName: "phase" });
    if (PHASE_NAMES[phase] !== "KeyCeremony") {
      bar.tick(sessions.length * (maxPasses - pass - 1));
      break;
    }
  }
  bar.stop();
  const jointKey = await client.readContract({
    address: election,
    abi: electionAbi,
    functionName: "jointKey",
  });
  if (/^0x0+$/.test(jointKey)) throw new Error("the key ceremony did not complete");
  step(`joint key ${jointKey}`);
  return sessions;
}
