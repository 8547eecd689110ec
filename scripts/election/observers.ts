import { privateKeyToAccount } from "viem/accounts";
import { publicClientFor } from "../../server/chain/clients";
import { settle, type Chain } from "./chain";
import { progressBar, step } from "./progress";
import type { Services } from "./services";

/**
 * Stage 6, the observers: each observer node re-verifies every ballot and
 * proof it read from the chain, recomputes the tally, compares it with the
 * published result and posts its attestation.
 */
export interface ObserverVerdict {
  observer: string;
  verdict: "ok" | "fails";
  tallyHash: string | null;
  findings: number;
}

export async function observersAttest(chain: Chain, services: Services): Promise<ObserverVerdict[]> {
  step("observers verify and attest");
  // On a chain with confirmations, the result's block must be confirmed on each observer's node first.
  for (const endpoint of chain.roles.observers) await settle(chain, publicClientFor(endpoint));
  const bar = progressBar("observers", services.observers.length);
  const verdicts: ObserverVerdict[] = [];
  for (const [i, observer] of services.observers.entries()) {
    const { report } = await observer.round();
    verdicts.push({
      observer: privateKeyToAccount(chain.accounts.observers[i]).address,
      verdict: report.holds && report.result.matches === true ? "ok" : "fails",
      tallyHash: report.tally?.hash ?? null,
      findings: report.findings.length,
    });
    bar.tick();
  }
  bar.stop();
  return verdicts;
}
