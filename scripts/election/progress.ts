import { SingleBar } from "cli-progress";

/**
 * What the main job tells the person watching, always on stderr (stdout is
 * the report only): one line per step, and a progress bar for each long step
 * when stderr is a terminal (nothing more when it is not: the step's line
 * says what is running).
 */
export function step(line: string): void {
  console.error(`• ${line}`);
}

export interface ProgressBar {
  tick(count?: number): void;
  stop(): void;
}

export function progressBar(title: string, total: number): ProgressBar {
  if (!process.stderr.isTTY) return { tick: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: `  ${title} [{bar}] {value}/{total} {eta_formatted}`,
    stream: process.stderr,
    hideCursor: false,
    etaBuffer: 50,
  });
  bar.start(total, 0);
  return { tick: (count = 1) => bar.increment(count), stop: () => bar.stop() };
}

/**
 * Wall-clock seconds of each stage, in the order they ran (the report's
 * `timings`), and this process's peak resident memory at the end of each
 * (MB, the high-water mark so far: where it grows shows which stage holds it).
 */
export class StageTimings {
  private readonly started = Date.now();
  private mark = Date.now();
  readonly seconds: Record<string, number> = {};
  readonly peakRssMB: Record<string, number> = {};

  /** Ends the stage that began at the previous lap (or at the start). */
  lap(stage: string): void {
    this.seconds[stage] = (Date.now() - this.mark) / 1000;
    this.peakRssMB[stage] = Math.round(process.resourceUsage().maxRSS / 1024);
    this.mark = Date.now();
  }

  totalSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}
