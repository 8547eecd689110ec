/**
 * The one paged reader of logs: every eth_getLogs in the code base goes
 * through these functions, page by page of at most `pageSize` blocks (nodes
 * such as Besu cap the block range of one call), with one default page size.
 * The caller passes the call to make for one page (a typed viem
 * getContractEvents), so each keeps its own event types. A page whose answer
 * is refused for its size (see isAnswerTooLarge: a dense chain of a national
 * election holds thousands of ballots a block) is read again as two halves,
 * down to a single block.
 */
export const LOG_PAGE_BLOCKS = 2_000n;

export interface BlockPage {
  fromBlock: bigint;
  toBlock: bigint;
}

export interface PagedRange {
  fromBlock: bigint;
  toBlock: bigint;
  /** Blocks per eth_getLogs call; default LOG_PAGE_BLOCKS. */
  pageSize?: bigint;
}

/**
 * The pages covering [fromBlock, toBlock], each of `pageSize` blocks but the
 * last (forward) or the first (backward); nothing when fromBlock > toBlock.
 */
export function* blockPages(
  range: PagedRange,
  direction: "forward" | "backward" = "forward",
): Generator<BlockPage> {
  const size = range.pageSize ?? LOG_PAGE_BLOCKS;
  if (size < 1n) throw new RangeError(`page size must be at least 1 block, not ${size}`);
  const { fromBlock, toBlock } = range;
  if (direction === "forward")
    for (let start = fromBlock; start <= toBlock; start += size)
      yield { fromBlock: start, toBlock: start + size - 1n < toBlock ? start + size - 1n : toBlock };
  else
    for (let end = toBlock; end >= fromBlock; end -= size)
      yield { fromBlock: end - size + 1n > fromBlock ? end - size + 1n : fromBlock, toBlock: end };
}

/**
 * Refusals of an eth_getLogs answer for its size, from the client or the
 * node: viem's ResponseBodyTooLargeError (bodies over 10 MiB), geth's "query
 * returned more than 10000 results", Besu's "exceeds maximum RPC range
 * limit". Looked for along the error's causes.
 */
const TOO_LARGE_MESSAGES = [/query returned more than [0-9]+ results/i, /exceeds maximum RPC range limit/i];

export function isAnswerTooLarge(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 8; depth++) {
    if (cause.name === "ResponseBodyTooLargeError") return true;
    if (TOO_LARGE_MESSAGES.some((pattern) => pattern.test(cause instanceof Error ? cause.message : "")))
      return true;
    cause = cause.cause;
  }
  return false;
}

/** `page` in two halves, in `direction`'s order. */
function halves(page: BlockPage, direction: "forward" | "backward"): BlockPage[] {
  const middle = page.fromBlock + (page.toBlock - page.fromBlock) / 2n;
  const parts = [
    { fromBlock: page.fromBlock, toBlock: middle },
    { fromBlock: middle + 1n, toBlock: page.toBlock },
  ];
  return direction === "forward" ? parts : parts.reverse();
}

/**
 * Runs `visit` over `page`, or, when its answer is too large, over each half
 * in turn (again halved as needed); a single block too large is an error.
 */
async function visitPage(
  page: BlockPage,
  direction: "forward" | "backward",
  visit: (page: BlockPage) => Promise<boolean>,
): Promise<boolean> {
  try {
    return await visit(page);
  } catch (error) {
    if (page.fromBlock === page.toBlock || !isAnswerTooLarge(error)) throw error;
  }
  for (const half of halves(page, direction)) if (await visitPage(half, direction, visit)) return true;
  return false;
}

/** Every page's logs, in chain order. */
export async function readLogPages<T>(
  range: PagedRange,
  read: (page: BlockPage) => Promise<readonly T[]>,
): Promise<T[]> {
  const all: T[] = [];
  for (const page of blockPages(range))
    await visitPage(page, "forward", async (part) => {
      all.push(...(await read(part)));
      return false;
    });
  return all;
}

/** The first thing `find` finds, page by page in `direction`; undefined when no page has it. */
export async function findInLogPages<T>(
  range: PagedRange,
  find: (page: BlockPage) => Promise<T | undefined>,
  direction: "forward" | "backward" = "forward",
): Promise<T | undefined> {
  let found: T | undefined;
  for (const page of blockPages(range, direction))
    if (
      await visitPage(page, direction, async (part) => {
        found = await find(part);
        return found !== undefined;
      })
    )
      return found;
  return undefined;
}
