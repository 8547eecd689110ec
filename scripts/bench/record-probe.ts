/**
 * Preloaded (`node --require`) into a child process of `npm run bench:record`
 * that is not the bench's own code (the `ballot-ledger` CLI): when the
 * process exits, writes its CPU seconds and peak RSS (scripts/bench/proc.ts)
 * to the file named by BENCH_RECORD_PROBE.
 */
import fs from "node:fs";
import { cpuSeconds, peakRssMiB } from "./proc";

const file = process.env.BENCH_RECORD_PROBE;
if (file !== undefined && file !== "")
  process.on("exit", () =>
    fs.writeFileSync(
      file,
      JSON.stringify({ cpuSeconds: cpuSeconds(process.pid), peakRssMiB: peakRssMiB(process.pid) }),
    ),
  );
