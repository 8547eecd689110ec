import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { expect } from "chai";
import type { RunningRegistrar } from "../../server/registrar/app";
import type { RunningRelay } from "../../server/relay/app";
import { castVote, VoterError } from "../../server/voter/voter";
import { getJson, startTestRegistrar, startTestRelay, tempDir, testVoters, waitFor } from "./harness";
import { startLiveElection, type LiveElection } from "./live-election";

/**
 * A relay accepts a ballot but its answer is lost (the connection is dropped
 * once the ballot is on chain); the voter client falls back to the second
 * relay, which answers `409 duplicate-ballot`. The voter must be told the
 * ballot is on chain, not that the cast failed.
 */

/**
 * A loopback proxy in front of `relay`: forwards each request, reads the
 * relay's answer, waits until the accepted ballot is on chain and `witness`
 * (the fallback relay) has followed the chain that far, then destroys the
 * client's socket instead of answering.
 */
async function answerLosingProxy(
  relay: RunningRelay,
  witness: RunningRelay,
): Promise<{ url: string; close: () => Promise<void> }> {
  const target = new URL(relay.url);
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    client.pipe(upstream);
    let answer = "";
    upstream.on("data", (chunk: Buffer) => {
      answer += chunk.toString();
      const body = /\r\n\r\n([\s\S]*)$/.exec(answer)?.[1];
      let code: string;
      try {
        code = (JSON.parse(body ?? "") as { trackingCode: string }).trackingCode;
      } catch {
        return; // not all of it yet
      }
      upstream.destroy();
      void (async () => {
        const status = await waitFor(`${code} on chain`, async () => {
          const answer = await getJson(`${relay.url}/v1/ballots/${code}`);
          return answer.body.status === "on-chain" ? answer.body : null;
        });
        await waitFor("the fallback relay follows the block", async () => {
          const health = await getJson(`${witness.url}/health`);
          return BigInt((health.body.head as string | null) ?? 0) >= BigInt(status.blockNumber as string)
            ? true
            : null;
        });
        client.destroy();
      })();
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("services: a relay's answer lost, the fallback relay already holds the ballot", function () {
  this.timeout(180_000);
  let live: LiveElection;
  let registrar: RunningRegistrar;
  let relays: RunningRelay[];
  let proxy: Awaited<ReturnType<typeof answerLosingProxy>>;
  let dir: string;
  const voters = testVoters(1, 0);

  before(async () => {
    live = await startLiveElection({ revotePolicy: "last-ballot-counts" });
    dir = tempDir("lost-answer");
    registrar = await startTestRegistrar(live, voters, dir);
    relays = [await startTestRelay(live, 0, dir), await startTestRelay(live, 1, dir)];
    proxy = await answerLosingProxy(relays[0], relays[1]);
  });
  after(async () => {
    await proxy?.close();
    for (const relay of relays ?? []) await relay.close();
    await registrar?.close();
    await live?.stop();
  });

  const wallet = () => path.join(dir, "voter.json");
  const vote = (choice: number) =>
    castVote({
      client: live.client,
      election: live.election,
      registrarUrl: registrar.url,
      relayUrls: [proxy.url, relays[1].url],
      voterId: voters[0].voterId,
      code: voters[0].code,
      choices: { "party-list": [`party-list-option-${choice}`] },
      walletFile: wallet(),
    });

  it("reports the ballot as on chain (from the tracking lookup), not as failed", async () => {
    const result = await vote(1);
    expect(result.sequence).to.equal(1n);
    expect(result.receipt).to.equal(null);
    const { accepted } = result;
    if (accepted.status === "receipt") throw new Error("a receipt, although the answer was lost");
    expect(accepted.status).to.equal("on-chain");
    expect(accepted.refusal).to.equal("duplicate-ballot");
    const recorded = await getJson(`${relays[0].url}/v1/ballots/${result.trackingCode}`);
    expect(accepted.transactionHash).to.equal(recorded.body.transactionHash);
    expect(accepted.blockNumber).to.equal(recorded.body.blockNumber);
  });

  it("still refuses a different ballot under the same nullifier and sequence", async () => {
    const stored = JSON.parse(fs.readFileSync(wallet(), "utf8")) as { ballots: unknown[] };
    fs.writeFileSync(wallet(), JSON.stringify({ ...stored, ballots: [] })); // forgets sequence 1
    let error: unknown;
    await castVote({
      client: live.client,
      election: live.election,
      relayUrls: [relays[1].url],
      choices: { "party-list": ["party-list-option-2"] },
      walletFile: wallet(),
    }).catch((e) => (error = e));
    expect(error).to.be.instanceOf(VoterError);
    expect((error as VoterError).code).to.equal("sequence-not-higher");
  });
});
