import { z } from "zod";

/**
 * The relay configuration file's optional "booth" section (docs/booth.md):
 *
 *   "booth": { "registrarUrl": "https://registrar.example", "relayUrls": ["https://relay-1.example", "https://relay-2.example"],
 *              "dir": "out/booth" }
 *
 * registrarUrl and relayUrls are what the voter's browser reaches (they also
 * go into the booth's Content-Security-Policy connect-src); dir is relative to
 * the configuration file and defaults to out/booth/ of this checkout.
 */
const serviceUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (
        (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === ""
      );
    } catch {
      return false;
    }
  }, "must be an http(s) URL without credentials");

export const boothFileSchema = z.strictObject({
  dir: z.string().min(1).optional(),
  registrarUrl: serviceUrl,
  relayUrls: z.array(serviceUrl).max(16).optional(),
});
