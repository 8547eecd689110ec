import { NoRelayAnsweredError, ServiceError, ServiceUnreachableError } from "../../voter/services-client";
import { ElectionDataError } from "./election";
import { isMessageKey, t, type MessageKey } from "./i18n";

/**
 * One translated sentence for every failure a voter page can meet: what
 * happened and what to do. The list is closed: every reason code the
 * registrar and the relays return (docs/api.md) has a `code.<reason>` message
 * (test/booth/booth-parts.test.ts scans the services for them), the booth's
 * own failures are BoothErrors with a message key, an unreachable service is
 * `registrar-unreachable` or `relay-unreachable`, an HTTP status without a
 * reason code maps to the nearest code, and anything else gets one generic
 * sentence (with the technical detail apart, never inside the sentence).
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
  /** Technical detail for a report (English, as the service said it), shown apart from the sentence. */
  detail?: string;
}

/** Which service a network failure came from, for the unreachable message. */
export type Service = "registrar" | "relay";

/** The reason code for an HTTP answer that carried none. */
function codeOfStatus(status: number): string {
  if (status === 404) return "not-found";
  if (status === 413) return "payload-too-large";
  if (status === 415) return "unsupported-media-type";
  if (status === 429) return "rate-limited";
  if (status >= 500) return "internal-error";
  return "invalid-request";
}

function unreachable(service: Service | undefined): ShownError {
  return service === "registrar"
    ? { message: t("code.registrar-unreachable"), code: "registrar-unreachable" }
    : { message: t("code.relay-unreachable"), code: "relay-unreachable" };
}

export function explain(error: unknown, service?: Service): ShownError {
  if (error instanceof BoothError) return { message: t(error.key, error.params), code: error.code };
  if (error instanceof ElectionDataError)
    return { message: t("error.electionData"), code: "election-data", detail: error.message };
  if (error instanceof NoRelayAnsweredError) return unreachable("relay");
  if (error instanceof ServiceUnreachableError) return unreachable(service);
  if (error instanceof ServiceError) {
    const code = /^http-\d+$/.test(error.code) ? codeOfStatus(error.status) : error.code;
    const key = `code.${code}`;
    if (isMessageKey(key)) return { message: t(key), code };
    return { message: t("code.unknown", { code }), code };
  }
  // A direct fetch (not through services-client) rejects with a TypeError, or an AbortError on a timeout,
  // when the service cannot be reached; any other TypeError is a fault of the page, not of the network.
  const fetchFailed =
    (error instanceof TypeError && /fetch|network/i.test(error.message)) ||
    (error instanceof DOMException && error.name === "AbortError");
  if (fetchFailed && service !== undefined) return unreachable(service);
  return { message: t("error.generic"), detail: error instanceof Error ? error.message : String(error) };
}
