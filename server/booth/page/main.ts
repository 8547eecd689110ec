import { z } from "zod";
import { startCheckerPage } from "./checker";
import { startTrackPage } from "./track";
import { startVotingPage } from "./voting";

/**
 * The booth bundle's entry: one script for the three pages, which says which
 * it is with <body data-page="booth|checker|track">. zod runs without its
 * Function()-compiled fast path: the Content-Security-Policy allows no eval.
 */
z.config({ jitless: true });

const pages: Record<string, () => Promise<void>> = {
  booth: startVotingPage,
  checker: startCheckerPage,
  track: startTrackPage,
};

function boot(): void {
  const start = pages[document.body.dataset.page ?? ""];
  if (start === undefined) throw new Error(`unknown page ${document.body.dataset.page}`);
  void start();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot, { once: true });
else boot();
