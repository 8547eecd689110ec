/** Figures of a running process read from /proc (Linux), for the benchmarks. */
import fs from "node:fs";

/** CPU seconds (user + system) a process has used, or NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Peak resident memory (VmHWM) of a process in MiB, or NaN when it is gone. */
export function peakRssMiB(pid: number): number {
  try {
    const line = fs
      .readFileSync(`/proc/${pid}/status`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("VmHWM:"));
    return line === undefined ? NaN : Number(line.split(/\s+/)[1]) / 1024;
  } catch {
    return NaN;
  }
}
