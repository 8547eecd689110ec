/**
 * The chain of `npm run bench:record -- --node geth`: one go-ethereum node in
 * developer mode (scripts/build-geth.sh builds it), a block a second, an
 * archive of every state on disk (the observer reads the ledger's state at
 * the end of each range), so that memory stays bounded where anvil keeps
 * every block, transaction and receipt in memory (about 43 KB of resident
 * memory a ballot, measured: docs/performance.md). The development accounts
 * of local-node.ts are funded from geth's developer account.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createWalletClient, http, parseEther, type Hex } from "viem";
import { publicClientFor } from "../../server/chain/clients";
import { DEV_ACCOUNT_COUNT, devPrivateKey, freePort, type LocalNode } from "../../server/chain/local-node";
import { gethBinary } from "../../server/network/geth";
import { privateKeyToAddress } from "viem/accounts";

export interface DevGeth extends LocalNode {
  dataDir: string;
}

/** Starts geth --dev in `dataDir` (a block a second, archive), funds the development accounts. */
export async function startDevGeth(dataDir: string): Promise<DevGeth> {
  fs.mkdirSync(dataDir, { recursive: true });
  const [httpPort, p2pPort, authPort] = [await freePort(), await freePort(), await freePort()];
  const log = fs.openSync(path.join(dataDir, "geth.log"), "a");
  const child = spawn(
    gethBinary(),
    [
      "--dev",
      "--dev.period",
      "1",
      "--dev.gaslimit",
      "60000000",
      "--datadir",
      dataDir,
      "--gcmode",
      "archive",
      "--state.scheme",
      "hash",
      "--http",
      "--http.addr",
      "127.0.0.1",
      "--http.port",
      String(httpPort),
      "--http.api",
      "eth,net,web3",
      "--port",
      String(p2pPort),
      "--authrpc.port",
      String(authPort),
      "--nodiscover",
      "--maxpeers",
      "0",
      "--ipcdisable",
      "--rpc.txfeecap",
      "0",
      "--txpool.accountslots",
      "64",
      "--txpool.globalslots",
      "4096",
      "--verbosity",
      "2",
    ],
    { stdio: ["ignore", log, log] },
  );
  fs.closeSync(log);
  let exited = false;
  child.once("exit", () => (exited = true));
  const rpcUrl = `http://127.0.0.1:${httpPort}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 30_000).unref();
    });
  const deadline = Date.now() + 60_000;
  let chainId: number | undefined;
  while (chainId === undefined) {
    if (exited) throw new Error(`geth exited at start: see ${path.join(dataDir, "geth.log")}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`geth did not answer on ${rpcUrl} in 60 s`);
    }
    try {
      chainId = await publicClientFor({ rpcUrl, chainId: 1337 }).getChainId();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const client = publicClientFor({ rpcUrl, chainId });
  const funder = createWalletClient({ chain: client.chain, transport: http(rpcUrl) });
  const [developer] = await funder.getAddresses();
  if (developer === undefined) throw new Error("geth --dev has no developer account");
  const privateKeys = Array.from({ length: DEV_ACCOUNT_COUNT }, (_, i) => devPrivateKey(i));
  const hashes: Hex[] = [];
  for (const key of privateKeys)
    hashes.push(
      await funder.sendTransaction({
        account: developer,
        to: privateKeyToAddress(key),
        value: parseEther("10000"),
      }),
    );
  for (const hash of hashes) await client.waitForTransactionReceipt({ hash, pollingInterval: 200 });
  return {
    kind: "hardhat" as const, // not Hardhat's: LocalNode's kinds are the two startLocalNode starts; nothing reads it
    rpcUrl,
    chainId,
    privateKeys,
    dataDir,
    pid: () => (exited ? null : (child.pid ?? null)),
    stop,
  };
}
