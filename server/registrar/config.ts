import type { Address } from "viem";
import { z } from "zod";
import { commonServiceSchema, readConfigFile, resolvePath } from "../service/config-file";
import type { RegistrarConfig } from "./app";
import { MAX_ISSUANCE_BATCH } from "./issuer";
import { loadRegistrarKeys } from "./keys";
import { loadRoll, RollIdentityProvider } from "./roll";

/**
 * The registrar's configuration file (docs/api.md):
 *
 *   { "rpcUrl": "http://127.0.0.1:8545", "election": "0x...", "accountKeyFile": "registrar.key",
 *     "rollFile": "roll.csv", "keys": { "0": "style-0.pem" },
 *     "journalFile": "registrar.sqlite", "host": "127.0.0.1", "port": 8081,
 *     "issuanceBatch": { "maxSize": 100, "maxWaitMs": 200 } }
 */
export const registrarFileSchema = z
  .object({
    ...commonServiceSchema,
    rollFile: z.string().min(1),
    keys: z.record(z.string().regex(/^[0-9]+$/, "style index"), z.string().min(1)),
    journalFile: z.string().min(1),
    /** Wrong-code limits (attempts.ts, docs/threat-model.md section 10); defaults when absent. */
    attempts: z
      .object({
        sourceFreeFailures: z.number().int().min(0),
        sourceBaseDelayMs: z.number().int().min(1),
        sourceMaxDelayMs: z.number().int().min(1),
        sourceMemoryMs: z.number().int().min(1),
        voterLockThreshold: z.number().int().min(1),
        voterWindowMs: z.number().int().min(1),
        lockedDelayMs: z.number().int().min(0),
        lockedFailuresPerSource: z.number().int().min(1),
        maxEntries: z.number().int().min(1),
      })
      .partial()
      .strict()
      .optional(),
    /** Issuances per recordIssuances transaction and the window that gathers them (issuer.ts). */
    issuanceBatch: z
      .object({
        maxSize: z.number().int().min(1).max(MAX_ISSUANCE_BATCH),
        maxWaitMs: z.number().int().min(0).max(60_000),
      })
      .partial()
      .strict()
      .optional(),
  })
  .strict();

export interface RegistrarFileConfig {
  config: Omit<RegistrarConfig, "endpoint" | "accountKey">;
  rpcUrl: string | undefined;
  accountKeyFile: string;
  listen: { host: string; port: number };
  logLevel: string;
  keyFiles: Record<string, string>;
}

export function readRegistrarConfig(file: string): RegistrarFileConfig {
  const { config, dir } = readConfigFile(file, registrarFileSchema);
  const keyFiles = Object.fromEntries(
    Object.entries(config.keys).map(([style, f]) => [style, resolvePath(dir, f)]),
  );
  const keys = loadRegistrarKeys(keyFiles);
  const roll = loadRoll(resolvePath(dir, config.rollFile));
  return {
    config: {
      election: config.election as Address,
      identity: new RollIdentityProvider(roll),
      keys,
      journalFile: resolvePath(dir, config.journalFile),
      rateLimit: config.rateLimit,
      bodyLimitBytes: config.bodyLimitBytes,
      trustProxy: config.trustProxy,
      attempts: config.attempts,
      issuanceBatch: config.issuanceBatch,
    },
    rpcUrl: config.rpcUrl,
    accountKeyFile: resolvePath(dir, config.accountKeyFile),
    listen: { host: config.host, port: config.port },
    logLevel: config.logLevel,
    keyFiles,
  };
}
