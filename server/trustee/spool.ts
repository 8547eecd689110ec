import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Address } from "viem";
import { exportElectionRecord, openRecordFolder } from "../audit/record-files";
import type { ChainPublicClient } from "../chain/deploy";
import { electionViewOf, type ElectionView, type ReadOptions } from "../chain/election-reader";
import type { RecordSource } from "../verification/record";

/**
 * The election as the trustees and the commission read it before they
 * decrypt or publish: the record read from the chain page by page into a
 * temporary record folder (the layout of docs/record.md), so that memory
 * holds one page of logs while it is read and, while it is verified, what
 * counting needs (server/verification/record.ts), never every ballot's bytes.
 * `dispose` removes the folder.
 */
export interface SpooledElection extends ElectionView {
  source: RecordSource;
  dispose(): void;
}

export async function spoolElection(
  client: ChainPublicClient,
  election: Address,
  options: ReadOptions = {},
): Promise<SpooledElection> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ballot-ledger-spool-"));
  const dispose = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const folder = path.join(dir, "record");
    await exportElectionRecord(client, election, folder, options);
    const source = openRecordFolder(folder);
    return { ...electionViewOf(source.header), source, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** Runs `use` on the spooled election and removes the spool afterwards. */
export async function withSpooledElection<T>(
  client: ChainPublicClient,
  election: Address,
  use: (spooled: SpooledElection) => Promise<T>,
): Promise<T> {
  const spooled = await spoolElection(client, election);
  try {
    return await use(spooled);
  } finally {
    spooled.dispose();
  }
}
