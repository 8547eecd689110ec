import { concat, getAddress, numberToHex, padHex, toRlp, type Address, type Hex } from "viem";
import { NETWORK_PARAMS } from "./params";

/**
 * One genesis generator, two outputs: the go-ethereum Clique genesis of the
 * local network and the Besu QBFT genesis of a production network, from the
 * same validators, accounts and parameters (server/network/params.ts).
 *
 * Both run the London rules from block 0 (Berlin and London at 0, nothing
 * later): go-ethereum's Clique refuses Shanghai and later forks, so the
 * contracts are compiled for the "paris" EVM (hardhat.config.ts) and Besu is
 * given the same rules.
 */
export interface GenesisInput {
  chainId: number;
  /** Validator (signer) addresses. */
  validators: readonly Address[];
  /** Accounts funded at genesis. */
  accounts: readonly Address[];
  blockPeriodSeconds?: number;
  blockGasLimit?: number;
}

/** The fork schedule both clients share: every fork up to London at block 0. */
function forkSchedule(chainId: number) {
  return {
    chainId,
    homesteadBlock: 0,
    eip150Block: 0,
    eip155Block: 0,
    eip158Block: 0,
    byzantiumBlock: 0,
    constantinopleBlock: 0,
    petersburgBlock: 0,
    istanbulBlock: 0,
    muirGlacierBlock: 0,
    berlinBlock: 0,
    londonBlock: 0,
  };
}

const sortedValidators = (validators: readonly Address[]): Address[] =>
  [...validators].map((v) => getAddress(v)).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));

function allocOf(accounts: readonly Address[]) {
  return Object.fromEntries(
    accounts.map((a) => [getAddress(a), { balance: numberToHex(NETWORK_PARAMS.accountBalanceWei) }]),
  );
}

/** Clique extraData: 32 bytes of vanity, the signers' addresses, 65 zero bytes for the seal. */
export function cliqueExtraData(validators: readonly Address[]): Hex {
  return concat([padHex("0x", { size: 32 }), ...sortedValidators(validators), padHex("0x", { size: 65 })]);
}

/** QBFT extraData in Besu's format: RLP([32-byte vanity, [validators], no vote, round 0, no seals]). */
export function qbftExtraData(validators: readonly Address[]): Hex {
  return toRlp([padHex("0x", { size: 32 }), sortedValidators(validators), [], "0x", []]);
}

/** The genesis of the local go-ethereum network (Clique proof of authority). */
export function cliqueGenesis(input: GenesisInput) {
  const period = input.blockPeriodSeconds ?? NETWORK_PARAMS.blockPeriodSeconds;
  return {
    config: {
      ...forkSchedule(input.chainId),
      clique: { period, epoch: NETWORK_PARAMS.epochLength },
    },
    nonce: "0x0",
    timestamp: "0x0",
    extraData: cliqueExtraData(input.validators),
    gasLimit: numberToHex(input.blockGasLimit ?? NETWORK_PARAMS.blockGasLimit),
    difficulty: "0x1",
    // London from block 0 with a zero base fee: it rises (by at least 1 wei) only above half-full blocks.
    baseFeePerGas: "0x0",
    mixHash: padHex("0x", { size: 32 }),
    coinbase: padHex("0x", { size: 20 }),
    alloc: allocOf(input.accounts),
  };
}

/** The genesis of a Besu network (QBFT), for docs/besu. */
export function qbftGenesis(input: GenesisInput) {
  const period = input.blockPeriodSeconds ?? NETWORK_PARAMS.blockPeriodSeconds;
  return {
    config: {
      ...forkSchedule(input.chainId),
      zeroBaseFee: true,
      qbft: {
        blockperiodseconds: period,
        epochlength: NETWORK_PARAMS.epochLength,
        requesttimeoutseconds: Math.max(NETWORK_PARAMS.qbftRequestTimeoutSeconds, 2 * period),
      },
    },
    nonce: "0x0",
    timestamp: "0x0",
    extraData: qbftExtraData(input.validators),
    gasLimit: numberToHex(input.blockGasLimit ?? NETWORK_PARAMS.blockGasLimit),
    difficulty: "0x1",
    // The constant QBFT expects ("ctical byzantine fault tolerance").
    mixHash: "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365",
    coinbase: padHex("0x", { size: 20 }),
    alloc: allocOf(input.accounts),
  };
}
