/**
 * HTTP calls of the voter to the registrar and the relays (fetch only, so it
 * runs in a browser too). A relay that does not answer (network error,
 * timeout, 5xx, 429) is skipped for the next one; a 4xx refusal is final:
 * another relay would refuse the same ballot for the same reason.
 */
import type { Address, Hex } from "viem";
import type { PreparedBallot, RelayReceipt } from "./booth";

export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ServiceError";
  }
}

/** A service that could not be reached or did not answer in time. */
export class ServiceUnreachableError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`${url} did not answer: ${reason}`);
    this.name = "ServiceUnreachableError";
  }
}

/** Raised when no relay answered at all. */
export class NoRelayAnsweredError extends Error {
  constructor(readonly attempts: { url: string; error: string }[]) {
    super(`no relay answered: ${attempts.map((a) => `${a.url}: ${a.error}`).join("; ")}`);
    this.name = "NoRelayAnsweredError";
  }
}

const join = (base: string, path: string) => `${base.replace(/\/+$/, "")}${path}`;

async function call<T>(url: string, init: RequestInit & { timeoutMs?: number }): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), init.timeoutMs ?? 30_000);
  try {
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { ...init, signal: controller.signal });
      text = await response.text();
    } catch (error) {
      const reason = controller.signal.aborted
        ? `no answer within ${init.timeoutMs ?? 30_000} ms`
        : error instanceof Error
          ? ((error.cause as Error | undefined)?.message ?? error.message)
          : String(error);
      throw new ServiceUnreachableError(url, reason);
    }
    let body: unknown = null;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      body = null;
    }
    if (!response.ok) {
      const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const { code, message, ...details } = (error ?? {}) as Record<string, unknown>;
      throw new ServiceError(
        response.status,
        typeof code === "string" ? code : `http-${response.status}`,
        typeof message === "string" ? message : `HTTP ${response.status} from ${url}`,
        details,
      );
    }
    return body as T;
  } finally {
    clearTimeout(timer);
  }
}

const postJson = <T>(url: string, body: unknown, timeoutMs?: number) =>
  call<T>(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    timeoutMs,
  });

export const fetchVoterStyle = (registrarUrl: string, voterId: string, code: string) =>
  postJson<{ style: number }>(join(registrarUrl, "/v1/style"), { voterId, code });

export interface IssuedCredential {
  style: number;
  blindSignature: Hex;
  requestHash: Hex;
  voterIdHash: Hex;
  transactionHash: Hex;
  blockNumber: string;
}

export const requestBlindSignature = (
  registrarUrl: string,
  request: { voterId: string; code: string; style: number; blindedMessage: Hex },
) => postJson<IssuedCredential>(join(registrarUrl, "/v1/credentials"), request);

const answered = (error: unknown) =>
  error instanceof ServiceError && error.status < 500 && error.status !== 429 && error.status !== 404;

/** Submits to the first relay that answers; returns its URL and receipt. */
export async function submitBallot(
  relayUrls: readonly string[],
  prepared: PreparedBallot,
  options: { timeoutMs?: number } = {},
): Promise<{ relayUrl: string; answer: RelayReceipt }> {
  if (relayUrls.length === 0) throw new Error("no relay URL given");
  const attempts: { url: string; error: string }[] = [];
  for (const url of relayUrls) {
    try {
      const answer = await postJson<RelayReceipt>(
        join(url, "/v1/ballots"),
        prepared.request,
        options.timeoutMs ?? 20_000,
      );
      return { relayUrl: url, answer };
    } catch (error) {
      if (answered(error)) throw error;
      attempts.push({ url, error: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new NoRelayAnsweredError(attempts);
}

export interface RelayBallotStatus {
  trackingCode: string;
  ballotHash: Hex;
  sequence: string;
  acceptedAt: number;
  status: "queued" | "on-chain" | "rejected";
  transactionHash: Hex | null;
  blockNumber: string | null;
  reason: string | null;
  relay: Address;
}

export const fetchBallotStatus = (relayUrl: string, trackingCode: string) =>
  call<RelayBallotStatus>(join(relayUrl, `/v1/ballots/${encodeURIComponent(trackingCode)}`), {
    method: "GET",
  });
