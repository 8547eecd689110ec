import { NoRelayAnsweredError, ServiceError } from "../../voter/services-client";
import { isMessageKey, t, type MessageKey } from "./i18n";

/**
 * One clear sentence for every refusal the registrar and the relays return
 * (their reason codes, docs/api.md), for the booth's own failures, and a
 * generic one with the code for anything unforeseen.
 */
export class BoothError extends Error {
  constructor(
    readonly key: MessageKey,
    readonly params: Record<string, string | number> = {},
    readonly code?: string,
  ) {
    super(key);
    this.name = "BoothError";
  }
}

export interface ShownError {
  message: string;
  code?: string;
}

/** Which service a network failure came from, for the unreachable message. */
export type Service = "registrar" | "relay";

export function explain(error: unknown, service?: Service): ShownError {
  if (error instanceof BoothError) return { message: t(error.key, error.params), code: error.code };
  if (error instanceof NoRelayAnsweredError)
    return { message: t("code.relay-unreachable"), code: "relay-unreachable" };
  if (error instanceof ServiceError) {
    const key = `code.${error.code}`;
    if (isMessageKey(key)) return { message: t(key), code: error.code };
    return { message: t("error.generic", { message: error.message }), code: error.code };
  }
  // fetch rejects with a TypeError (or an AbortError on our timeout) when the service cannot be reached.
  if (error instanceof TypeError || (error instanceof DOMException && error.name === "AbortError")) {
    if (service === "registrar")
      return { message: t("code.registrar-unreachable"), code: "registrar-unreachable" };
    if (service === "relay") return { message: t("code.relay-unreachable"), code: "relay-unreachable" };
  }
  return { message: t("error.generic", { message: error instanceof Error ? error.message : String(error) }) };
}
