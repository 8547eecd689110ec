import pino, { type Logger } from "pino";
import type { Listening } from "../service/http";

/** Logs go to stderr as JSON lines; stdout carries one "ready" JSON line for scripts. */
export const serviceLogger = (name: string, level: string): Logger =>
  pino({ name, level }, pino.destination(2));

/** Keeps a service running until SIGINT or SIGTERM, then closes it. */
export async function runUntilSignal(
  running: Listening,
  ready: Record<string, unknown>,
  logger: Logger,
): Promise<void> {
  process.stdout.write(`${JSON.stringify({ ready: true, url: running.url, ...ready })}\n`);
  logger.info({ url: running.url }, "listening");
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down");
      running.close().then(resolve, (error) => {
        logger.error({ err: error }, "shutdown failed");
        resolve();
      });
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}
