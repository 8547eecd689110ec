import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * Service configuration files: JSON, checked by a zod schema, with file paths
 * relative to the configuration file's folder. Secrets (private keys, the
 * voter id salt) live in their own files, referenced by path.
 */
export class ConfigError extends Error {}

export function readConfigFile<S extends z.ZodType>(
  file: string,
  schema: S,
): { config: z.infer<S>; dir: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`cannot read the configuration ${file}: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`configuration ${file}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return { config: parsed.data, dir: path.dirname(path.resolve(file)) };
}

export const resolvePath = (dir: string, file: string): string => path.resolve(dir, file);

/** A file holding hex bytes (0x optional, whitespace ignored) of an exact length. */
export function readHexFile(file: string, bytes: number, what: string): Uint8Array {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new ConfigError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const body = text.replace(/^0x/i, "");
  if (!new RegExp(`^[0-9a-fA-F]{${2 * bytes}}$`).test(body))
    throw new ConfigError(`${what} ${file} must hold ${bytes} bytes of hex`);
  return new Uint8Array(Buffer.from(body, "hex"));
}

export const rateLimitSchema = z.object({
  windowMs: z.number().int().min(1_000),
  limit: z.number().int().min(1),
});

export const commonServiceSchema = {
  rpcUrl: z
    .string()
    .regex(/^https?:\/\//, "must be an http(s) URL")
    .optional(),
  election: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be an address"),
  accountKeyFile: z.string().min(1),
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(0),
  rateLimit: rateLimitSchema.optional(),
  bodyLimitBytes: z
    .number()
    .int()
    .min(1024)
    .max(1 << 20)
    .optional(),
  trustProxy: z.union([z.boolean(), z.number().int(), z.string()]).optional(),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
};
