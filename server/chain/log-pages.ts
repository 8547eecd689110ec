/**
 * The one paged reader of logs: every eth_getLogs in the code base goes
 * through these functions, page by page of at most `pageSize` blocks (nodes
 * such as Besu cap the block range of one call), with one default page size.
 * The caller passes the call to make for one page (a typed viem
 * getContractEvents), so each keeps its own event types.
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

/** Every page's logs, in chain order. */
export async function readLogPages<T>(
  range: PagedRange,
  read: (page: BlockPage) => Promise<readonly T[]>,
): Promise<T[]> {
  const all: T[] = [];
  for (const page of blockPages(range)) all.push(...(await read(page)));
  return all;
}

/** The first thing `find` finds, page by page in `direction`; undefined when no page has it. */
export async function findInLogPages<T>(
  range: PagedRange,
  find: (page: BlockPage) => Promise<T | undefined>,
  direction: "forward" | "backward" = "forward",
): Promise<T | undefined> {
  for (const page of blockPages(range, direction)) {
    const found = await find(page);
    if (found !== undefined) return found;
  }
  return undefined;
}
