/**
 * The local permissioned network (docs/network.md): go-ethereum v1.13.14 with
 * Clique proof of authority, 4 validators, one node per observer and one for
 * the audit export, on 127.0.0.1, data under out/network/.
 *
 *   npm run network -- up        create (first time) and start every node; prints the status
 *   npm run network -- down      stop every node cleanly (the data stays; `up` resumes from it)
 *   npm run network -- status    each node's head, hash and peers (--json: one JSON object on stdout)
 *   npm run network -- besu --out DIR [--chain-id N] [--accounts FILE]
 *                                the Besu QBFT genesis and validator keys of a production network
 *                                (docs/besu), from the same generator as the local genesis
 *   --dir DIR                    another network folder (default out/network)
 *
 * The client is built once per machine by `bash scripts/build-geth.sh`.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress, isAddress, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { qbftGenesis } from "../server/network/genesis";
import { GethMissingError } from "../server/network/geth";
import { LocalNetwork, NetworkError, type NodeStatus } from "../server/network/network";
import { NETWORK_PARAMS } from "../server/network/params";

function fail(message: string): never {
  console.error(`network: ${message}`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const [command, ...rest] = argv;
  const options = {
    command,
    dir: "out/network",
    json: false,
    out: null as string | null,
    chainId: NETWORK_PARAMS.besuChainId as number,
    accounts: null as string | null,
  };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const value = () => rest[++i] ?? fail(`${flag} needs a value`);
    if (flag === "--dir") options.dir = value();
    else if (flag === "--json") options.json = true;
    else if (flag === "--out") options.out = value();
    else if (flag === "--chain-id") options.chainId = Number(value());
    else if (flag === "--accounts") options.accounts = value();
    else fail(`unknown option ${flag} (see the header of scripts/network.ts)`);
  }
  if (!["up", "down", "status", "besu"].includes(command ?? ""))
    fail("usage: npm run network -- up|down|status|besu [options] (see scripts/network.ts)");
  if (!Number.isSafeInteger(options.chainId) || options.chainId < 1)
    fail("--chain-id must be a positive integer");
  return options;
}

function printStatus(statuses: NodeStatus[], json: boolean): void {
  if (json) {
    console.log(JSON.stringify(statuses, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
    return;
  }
  console.log("| node | role | running | head | hash | peers | RPC |");
  console.log("|---|---|---|---:|---|---:|---|");
  for (const s of statuses)
    console.log(
      `| ${s.name} | ${s.role} | ${s.running ? "yes" : "no"} | ${s.head ?? "-"} | ${s.hash?.slice(0, 18) ?? "-"} | ${s.peers ?? "-"} | ${s.rpcUrl} |`,
    );
}

/** The Besu QBFT genesis and a key per validator, in DIR (docs/besu/README.md). */
function writeBesuNetwork(out: string, chainId: number, accountsFile: string | null): void {
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) fail(`${out} is not empty`);
  const accounts: Address[] = [];
  if (accountsFile !== null)
    for (const line of fs.readFileSync(accountsFile, "utf8").split("\n")) {
      const text = line.trim();
      if (text === "" || text.startsWith("#")) continue;
      if (!isAddress(text)) fail(`${accountsFile}: not an address: ${text}`);
      accounts.push(getAddress(text));
    }
  const validators: Address[] = [];
  for (let i = 1; i <= NETWORK_PARAMS.validators; i++) {
    const dir = path.join(out, `validator-${i}`, "data");
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const key = generatePrivateKey();
    const account = privateKeyToAccount(key);
    // Besu's node key files: the private key and the 64-byte public key, hex with 0x.
    fs.writeFileSync(path.join(dir, "key"), key, { mode: 0o600, flag: "wx" });
    fs.writeFileSync(path.join(dir, "key.pub"), `0x${account.publicKey.slice(4)}`, { flag: "wx" });
    validators.push(account.address);
    console.error(
      `validator-${i} ${account.address} enode://${account.publicKey.slice(4)}@127.0.0.1:${30302 + i}`,
    );
  }
  const genesis = qbftGenesis({ chainId, validators, accounts });
  fs.writeFileSync(path.join(out, "genesis.json"), `${JSON.stringify(genesis, null, 2)}\n`, { flag: "wx" });
  console.log(path.join(out, "genesis.json"));
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.command === "besu") {
    if (options.out === null) fail("besu needs --out DIR");
    writeBesuNetwork(path.resolve(options.out), options.chainId, options.accounts);
    return;
  }
  const dir = path.resolve(options.dir);
  if (options.command === "up") {
    const created = !LocalNetwork.exists(dir);
    if (created) console.error(`network: creating the network in ${dir}`);
    const network = created ? await LocalNetwork.create(dir) : LocalNetwork.open(dir);
    console.error(`network: starting ${network.nodes.length} nodes (${network.layout.client})`);
    await network.start();
    const head = await network.agreedHead();
    console.error(`network: every node has block ${head.number} ${head.hash}`);
    printStatus(await network.status(), options.json);
    return;
  }
  const network = LocalNetwork.open(dir);
  if (options.command === "down") {
    await network.stop();
    console.error(`network: stopped (data kept in ${dir})`);
    return;
  }
  printStatus(await network.status(), options.json);
}

main().catch((error: unknown) => {
  if (error instanceof GethMissingError || error instanceof NetworkError) fail(error.message);
  console.error(`network: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
