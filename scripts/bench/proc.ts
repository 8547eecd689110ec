/** Figures of a running process read from /proc (Linux), and of a folder on disk, for the benchmarks. */
import fs from "node:fs";
import path from "node:path";

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

/** Bytes of the files under a folder (a node's data, an index, a record). */
export function folderBytes(dir: string): number {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) bytes += folderBytes(file);
    else if (entry.isFile()) bytes += fs.statSync(file).size;
  }
  return bytes;
}
