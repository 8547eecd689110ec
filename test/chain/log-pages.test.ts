import { expect } from "chai";
import {
  blockPages,
  findInLogPages,
  isAnswerTooLarge,
  LOG_PAGE_BLOCKS,
  readLogPages,
  type BlockPage,
} from "../../server/chain/log-pages";

/**
 * The one paged log reader (server/chain/log-pages.ts) across page
 * boundaries: every block of the range in exactly one page, no page larger
 * than asked, forwards and backwards, and the search stopping at the first
 * page that has what it looks for. The reader against a real node (pages of
 * 1, 2 and 7 blocks give the same record) is in election-reader.test.ts.
 */
const pages = (from: bigint, to: bigint, size?: bigint, direction?: "forward" | "backward") =>
  [...blockPages({ fromBlock: from, toBlock: to, pageSize: size }, direction)].map(
    (p) => [Number(p.fromBlock), Number(p.toBlock)] as const,
  );

/** A fake chain with one "log" per block number in `blocks`; records the calls. */
function fakeLogs(blocks: number[]) {
  const calls: BlockPage[] = [];
  const read = async (page: BlockPage) => {
    calls.push(page);
    if (page.toBlock - page.fromBlock + 1n > 5n) throw new Error("range too large");
    return blocks.filter((b) => b >= Number(page.fromBlock) && b <= Number(page.toBlock));
  };
  return { calls, read };
}

describe("chain: the paged log reader", () => {
  it("covers the range in pages of at most pageSize blocks, at every boundary", () => {
    expect(pages(0n, 9n, 5n)).to.deep.equal([
      [0, 4],
      [5, 9],
    ]);
    expect(pages(0n, 10n, 5n)).to.deep.equal([
      [0, 4],
      [5, 9],
      [10, 10],
    ]);
    expect(pages(3n, 3n, 5n)).to.deep.equal([[3, 3]]);
    expect(pages(4n, 3n, 5n)).to.deep.equal([]);
    expect(pages(7n, 12n, 1n)).to.have.length(6);
    expect(pages(0n, 9n, 5n, "backward")).to.deep.equal([
      [5, 9],
      [0, 4],
    ]);
    expect(pages(1n, 11n, 5n, "backward")).to.deep.equal([
      [7, 11],
      [2, 6],
      [1, 1],
    ]);
    expect(pages(0n, LOG_PAGE_BLOCKS * 2n)).to.have.length(3);
    expect(() => pages(0n, 1n, 0n)).to.throw(RangeError);
    // Every block exactly once, for many sizes and offsets.
    for (let size = 1n; size <= 7n; size++)
      for (let from = 0n; from <= 6n; from++)
        for (const direction of ["forward", "backward"] as const) {
          const covered = pages(from, from + 20n, size, direction).flatMap(([a, b]) => {
            expect(b - a + 1).to.be.at.most(Number(size));
            return Array.from({ length: b - a + 1 }, (_, i) => a + i);
          });
          expect(covered.sort((x, y) => x - y)).to.deep.equal(
            Array.from({ length: 21 }, (_, i) => Number(from) + i),
          );
        }
  });

  it("reads every page in chain order, logs on both sides of each boundary included", async () => {
    const chain = fakeLogs([0, 4, 5, 9, 10, 11, 14, 15]);
    const logs = await readLogPages({ fromBlock: 0n, toBlock: 15n, pageSize: 5n }, chain.read);
    expect(logs).to.deep.equal([0, 4, 5, 9, 10, 11, 14, 15]);
    expect(chain.calls.map((c) => [Number(c.fromBlock), Number(c.toBlock)])).to.deep.equal([
      [0, 4],
      [5, 9],
      [10, 14],
      [15, 15],
    ]);
  });

  it("finds the first match forwards or backwards and stops reading there", async () => {
    const chain = fakeLogs([6, 12]);
    const first = async (page: BlockPage) => (await chain.read(page))[0];
    expect(await findInLogPages({ fromBlock: 0n, toBlock: 20n, pageSize: 5n }, first)).to.equal(6);
    expect(chain.calls).to.have.length(2);
    chain.calls.length = 0;
    expect(await findInLogPages({ fromBlock: 0n, toBlock: 20n, pageSize: 5n }, first, "backward")).to.equal(
      12,
    );
    expect(chain.calls.map((c) => Number(c.fromBlock))).to.deep.equal([16, 11]);
    expect(await findInLogPages({ fromBlock: 13n, toBlock: 20n, pageSize: 5n }, first)).to.equal(undefined);
  });

  it("reads a page refused for its size again as halves, down to one block, in order", async () => {
    // A dense chain: at most 3 logs per answer, as viem refuses a body over 10 MiB (and geth over 10,000 logs).
    const blocks = [0, 1, 1, 1, 2, 3, 3, 5, 6, 6, 7, 7, 7];
    const calls: BlockPage[] = [];
    const tooLarge = (found: number[]) =>
      Object.assign(new Error("HTTP request failed."), {
        cause: Object.assign(new Error(`HTTP response body exceeded the size limit (${found.length} logs)`), {
          name: "ResponseBodyTooLargeError",
        }),
      });
    const read = async (page: BlockPage) => {
      calls.push(page);
      const found = blocks.filter((b) => b >= Number(page.fromBlock) && b <= Number(page.toBlock));
      if (found.length > 3) throw tooLarge(found);
      return found;
    };
    expect(await readLogPages({ fromBlock: 0n, toBlock: 7n, pageSize: 8n }, read)).to.deep.equal(blocks);
    expect(calls.every((c) => c.toBlock >= c.fromBlock)).to.equal(true);
    const first = async (page: BlockPage) => (await read(page)).find((b) => b === 6);
    expect(await findInLogPages({ fromBlock: 0n, toBlock: 7n, pageSize: 8n }, first)).to.equal(6);
    const last = async (page: BlockPage) => (await read(page)).at(-1);
    expect(await findInLogPages({ fromBlock: 0n, toBlock: 7n, pageSize: 8n }, last, "backward")).to.equal(7);
    // One block over the limit cannot be split: its error stands; other errors are never split.
    blocks.push(4, 4, 4, 4);
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => "resolved",
        (e: Error) => e.message,
      );
    expect(await refusal(readLogPages({ fromBlock: 4n, toBlock: 4n }, read))).to.equal(
      "HTTP request failed.",
    );
    calls.length = 0;
    const failing = async (page: BlockPage): Promise<number[]> => {
      calls.push(page);
      throw new Error("connection refused");
    };
    expect(await refusal(readLogPages({ fromBlock: 0n, toBlock: 7n }, failing))).to.equal(
      "connection refused",
    );
    expect(calls).to.have.length(1);
    expect(isAnswerTooLarge(new Error("query returned more than 10000 results"))).to.equal(true);
  });
});
