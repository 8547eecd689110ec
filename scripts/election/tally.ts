import { publicClientFor, walletClientFor } from "../../server/chain/clients";
import { runDecryption } from "../../server/trustee/decrypt";
import { publishResult } from "../../server/trustee/publish";
import type { TrusteeSession } from "../../server/trustee/session";
import { reachTime, type Chain } from "./chain";
import type { CreatedElection } from "./create-election";
import { progressBar, step } from "./progress";
import type { Services } from "./services";

/**
 * Stage 5, the close and the tally: the window ends, the relays stop, three
 * trustees (1, 3 and 4: the threshold, with 2 and 5 absent) post their
 * decryption shares with proofs, and the commission publishes the result.
 */
export const PRESENT_TRUSTEES = [1, 3, 4];

export async function closeAndTally(
  chain: Chain,
  { election, manifest }: CreatedElection,
  services: Services,
  sessions: readonly TrusteeSession[],
) {
  const client = publicClientFor(chain.endpoint);
  await reachTime(chain, client, manifest.votingWindow.closesAt + 1);
  await services.closeRelays();
  const absent = sessions.map((_, i) => i + 1).filter((i) => !PRESENT_TRUSTEES.includes(i));
  step(`voting closed; trustees ${PRESENT_TRUSTEES.join(", ")} decrypt (${absent.join(" and ")} absent)`);
  const bar = progressBar("decryption shares", PRESENT_TRUSTEES.length);
  for (const index of PRESENT_TRUSTEES) {
    await runDecryption(sessions[index - 1], { threads: 2 });
    bar.tick();
  }
  bar.stop();
  const commission = walletClientFor(chain.endpoint, chain.accounts.commission);
  return publishResult(commission, client, election, { threads: 2 });
}
