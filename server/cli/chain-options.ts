import fs from "node:fs";
import { CommanderError, type Command } from "commander";
import { getAddress, isAddress, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { connect, type ChainEndpoint } from "../chain/clients";
import { ElectionCallError } from "../chain/election-reader";
import { StepRefusal } from "../trustee/errors";
import { KeystoreError } from "../trustee/keystore";
import { CliError, EXIT_REFUSED, EXIT_USAGE, EXIT_VERIFICATION_FAILED } from "./errors";

/**
 * Options and error mapping shared by the commission and trustee commands:
 * the node's URL, key files, addresses, the passphrase, and the translation
 * of the library's expected failures into a one-line message and exit code.
 */
export const RPC_ENV = "BALLOT_LEDGER_RPC";
export const PASSPHRASE_ENV = "BALLOT_LEDGER_PASSPHRASE";

export function rpcUrlOf(option: string | undefined): string {
  const url = option ?? process.env[RPC_ENV];
  if (url === undefined || url === "")
    throw new CliError(`no node given: pass --rpc URL or set ${RPC_ENV}`, EXIT_USAGE);
  if (!/^https?:\/\//.test(url)) throw new CliError(`--rpc must be an http(s) URL, got ${url}`, EXIT_USAGE);
  return url;
}

export async function connectTo(rpcUrl: string): Promise<ChainEndpoint> {
  try {
    return await connect(rpcUrl);
  } catch (error) {
    throw new CliError(`cannot reach the node at ${rpcUrl}: ${shortMessage(error)}`, EXIT_REFUSED);
  }
}

export function parseAddress(value: string, what: string): Address {
  if (!isAddress(value, { strict: false }))
    throw new CliError(`${what} is not an address: ${value}`, EXIT_USAGE);
  return getAddress(value);
}

export function parseAddressList(value: string, what: string): Address[] {
  const list = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (list.length === 0) throw new CliError(`${what}: give a comma-separated list of addresses`, EXIT_USAGE);
  return list.map((item, i) => parseAddress(item, `${what} #${i + 1}`));
}

function readTextFile(file: string, what: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(
      `cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      EXIT_USAGE,
    );
  }
}

/** A file holding one secp256k1 private key as 0x-prefixed hex (64 hex digits). */
export function readPrivateKeyFile(file: string): Hex {
  const text = readTextFile(file, "private key file").trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(text))
    throw new CliError(`private key file ${file} must hold one 0x-prefixed 32-byte hex key`, EXIT_USAGE);
  try {
    privateKeyToAccount(text as Hex);
  } catch {
    throw new CliError(`private key file ${file} does not hold a valid secp256k1 key`, EXIT_USAGE);
  }
  return text.toLowerCase() as Hex;
}

/** Writes `content` to a new file (mode 0600, never overwriting); a usage error when it exists or cannot be written. */
export function writeNewFile(file: string, content: string): void {
  try {
    fs.writeFileSync(file, content, { flag: "wx", mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === "EEXIST"
        ? `${file} already exists: refusing to overwrite it`
        : `cannot write ${file}: ${code}`,
      EXIT_USAGE,
    );
  }
}

/** Writes a fresh private key to a new file (mode 0600, never overwriting); returns its address. */
export function writeNewPrivateKeyFile(file: string): Address {
  const key = generatePrivateKey();
  writeNewFile(file, `${key}\n`);
  return privateKeyToAccount(key).address;
}

/** The passphrase from --passphrase-file (its first line) or the environment. */
export function readPassphrase(file: string | undefined): string {
  if (file !== undefined) {
    const passphrase = readTextFile(file, "passphrase file").split(/\r?\n/)[0];
    if (passphrase === "") throw new CliError(`passphrase file ${file} is empty`, EXIT_USAGE);
    return passphrase;
  }
  const fromEnv = process.env[PASSPHRASE_ENV];
  if (fromEnv === undefined || fromEnv === "")
    throw new CliError(`no passphrase: pass --passphrase-file PATH or set ${PASSPHRASE_ENV}`, EXIT_USAGE);
  return fromEnv;
}

export function parsePositiveInteger(value: string, what: string): number {
  if (!/^[0-9]+$/.test(value))
    throw new CliError(`${what} must be a non-negative integer, got ${value}`, EXIT_USAGE);
  return Number(value);
}

function shortMessage(error: unknown): string {
  const e = error as { shortMessage?: unknown; message?: unknown };
  if (typeof e?.shortMessage === "string") return e.shortMessage;
  if (typeof e?.message === "string") return e.message.split("\n")[0];
  return String(error);
}

/** Expected failures of the library become a CliError; anything else is rethrown. */
export function asCliError(error: unknown): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof StepRefusal)
    return new CliError(
      error.message,
      error.kind === "verification-failed" ? EXIT_VERIFICATION_FAILED : EXIT_REFUSED,
    );
  if (error instanceof KeystoreError)
    return new CliError(
      error.message,
      error.code === "corrupted" || error.code === "unsupported-version"
        ? EXIT_VERIFICATION_FAILED
        : EXIT_USAGE,
    );
  if (error instanceof ElectionCallError) return new CliError(error.message, EXIT_REFUSED);
  const name = (error as { name?: unknown })?.name;
  if (typeof name === "string" && /HttpRequestError|TimeoutError|ContractFunctionExecutionError/.test(name))
    return new CliError(shortMessage(error), EXIT_REFUSED);
  return error;
}

/** Runs a command body with the error mapping above. */
export const mapped =
  <A extends unknown[]>(body: (...args: A) => Promise<void>) =>
  async (...args: A): Promise<void> => {
    try {
      await body(...args);
    } catch (error) {
      throw asCliError(error);
    }
  };

/** Commander usage errors (unknown option, missing argument) exit with code 2; commander printed them. */
export function usageErrorsExit2(command: Command): Command {
  command.exitOverride((error) => {
    if (error.exitCode === 0) throw error;
    throw new CommanderError(EXIT_USAGE, error.code, error.message);
  });
  for (const sub of command.commands) usageErrorsExit2(sub);
  return command;
}
