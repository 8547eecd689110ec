/**
 * The browser of the browser tests (booth, tracker, checker, dashboard):
 * Debian's chromium, driven by playwright-core; never a downloaded browser.
 * When /usr/bin/chromium is missing, the tests install it with apt-get if
 * they run as root (a fresh machine with only the README's requirements:
 * `npm test` works as it stands), and otherwise fail with the command to run.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const INSTALL_COMMAND = "apt-get update && apt-get install -y chromium";

function aptGet(args: string[]): boolean {
  const run = spawnSync("apt-get", args, {
    stdio: ["ignore", process.stderr, process.stderr],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return run.status === 0;
}

/** Makes sure Debian's chromium is installed (installing it as root), or throws saying what to run. */
export function ensureChromium(): string {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM;
  const root = process.getuid?.() === 0;
  const hasApt = spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
  if (!root || !hasApt)
    throw new Error(
      `${CHROMIUM} is missing: the browser tests drive Debian's chromium package and never download a browser. ` +
        `Install it with: ${root ? "" : "sudo "}sh -c '${INSTALL_COMMAND}' (then run the tests again).`,
    );
  console.error(
    `• ${CHROMIUM} is missing: installing Debian's chromium for the browser tests (${INSTALL_COMMAND})`,
  );
  if (
    !aptGet(["install", "-y", "chromium"]) &&
    !(aptGet(["update"]) && aptGet(["install", "-y", "chromium"]))
  )
    throw new Error(`could not install chromium with apt-get (see above); run: ${INSTALL_COMMAND}`);
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`apt-get installed chromium, but ${CHROMIUM} is still missing`);
  return CHROMIUM;
}

/** The headless browser for a test file (call in `before`, with a timeout that allows an install). */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
}

/** Enough for apt-get to install chromium on a fresh machine. */
export const BROWSER_SETUP_TIMEOUT_MS = 900_000;
