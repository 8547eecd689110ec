/**
 * The parameters of a ballot-ledger network, in one place: the local
 * go-ethereum Clique network of `npm run network` and the Besu QBFT genesis
 * of docs/besu come from the same values (server/network/genesis.ts), so what
 * is tested locally is what Besu runs: the same EVM rules (London), the same
 * block gas limit, the same block period.
 */
export const NETWORK_PARAMS = {
  /** Chain id of the local network; a real network chooses its own (docs/besu). */
  localChainId: 202612,
  /** Chain id written into the Besu genesis unless another is given. */
  besuChainId: 202611,
  /** Seconds between blocks (Clique `period`, QBFT `blockperiodseconds`). */
  blockPeriodSeconds: 1,
  /** QBFT round timeout: more than twice the block period, as Besu advises. */
  qbftRequestTimeoutSeconds: 4,
  /** Clique checkpoint / QBFT epoch: pending validator votes are dropped every epoch. */
  epochLength: 30_000,
  /** Block gas limit: a batch of 50 ballots needs about 3 M gas, so a block holds many. */
  blockGasLimit: 60_000_000,
  /** Balance of every account of the genesis (gas costs 1 wei a unit on geth, 0 on Besu). */
  accountBalanceWei: 10n ** 24n,
  /** Validators (Clique signers / QBFT validators): 4 tolerate 1 faulty. */
  validators: 4,
} as const;

/**
 * The engine limits the relay respects (docs/network.md): go-ethereum keeps no
 * pending transaction above 128 KiB (txpool txMaxSize = 4 slots of 32 KiB) and
 * guarantees an account 16 slots in its pool (txpool.accountslots); Besu's
 * default transaction pool has similar per-sender limits.
 */
export const ENGINE_LIMITS = {
  maxTransactionBytes: 4 * 32 * 1024,
  txPoolSlotBytes: 32 * 1024,
  accountSlots: 16,
  /** Besu refuses eth_getLogs over more blocks than this by default (rpc-max-logs-range). */
  besuLogsRange: 5_000,
} as const;
