import type { Address } from "viem";
import { z } from "zod";
import { commonServiceSchema, readConfigFile, resolvePath } from "../service/config-file";
import { boothFileSchema } from "../booth/config";
import type { RelayConfig } from "./app";

/**
 * The relay's configuration file (docs/api.md):
 *
 *   { "rpcUrl": "http://127.0.0.1:8545", "election": "0x...", "accountKeyFile": "relay.key",
 *     "queueFile": "relay.sqlite", "host": "127.0.0.1", "port": 8082, "maxBatch": 100 }
 *
 * On a network of several nodes, "fallbackRpcUrls" lists further nodes the
 * relay turns to, in order, when a request to the one before fails, and
 * "confirmations" the blocks it waits on top of a batch (docs/network.md).
 */
export const relayFileSchema = z
  .object({
    ...commonServiceSchema,
    queueFile: z.string().min(1),
    fallbackRpcUrls: z
      .array(z.string().regex(/^https?:\/\//, "must be an http(s) URL"))
      .max(16)
      .optional(),
    confirmations: z.number().int().min(0).max(64).optional(),
    chainCheck: z.enum(["index", "view"]).optional(),
    maxBatch: z.number().int().min(1).max(200).optional(),
    maxWaitMs: z.number().int().min(1).max(60_000).optional(),
    verifierThreads: z.number().int().min(1).max(256).optional(),
    pollMs: z.number().int().min(50).max(60_000).optional(),
    durability: z.enum(["full", "normal"]).optional(),
    booth: boothFileSchema.optional(),
  })
  .strict();

export interface RelayFileConfig {
  config: Omit<RelayConfig, "endpoint" | "accountKey">;
  rpcUrl: string | undefined;
  fallbackRpcUrls: string[];
  accountKeyFile: string;
  listen: { host: string; port: number };
  logLevel: string;
}

export function readRelayConfig(file: string): RelayFileConfig {
  const { config, dir } = readConfigFile(file, relayFileSchema);
  return {
    config: {
      election: config.election as Address,
      queueFile: resolvePath(dir, config.queueFile),
      chainCheck: config.chainCheck,
      maxBatch: config.maxBatch,
      confirmations: config.confirmations,
      maxWaitMs: config.maxWaitMs,
      verifierThreads: config.verifierThreads,
      pollMs: config.pollMs,
      durability: config.durability,
      booth:
        config.booth === undefined
          ? undefined
          : {
              ...config.booth,
              dir: config.booth.dir === undefined ? undefined : resolvePath(dir, config.booth.dir),
            },
      rateLimit: config.rateLimit,
      bodyLimitBytes: config.bodyLimitBytes,
      trustProxy: config.trustProxy,
    },
    rpcUrl: config.rpcUrl,
    fallbackRpcUrls: config.fallbackRpcUrls ?? [],
    accountKeyFile: resolvePath(dir, config.accountKeyFile),
    listen: { host: config.host, port: config.port },
    logLevel: config.logLevel,
  };
}
