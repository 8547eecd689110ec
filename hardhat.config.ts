import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-viem";
import "solidity-coverage";

const SOLC_VERSION = "0.8.30";

// No machine here reaches the solc download mirror: compile with the pinned
// npm package `solc` (its soljson.js is the same compiler, as wasm).
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  const compilerPath = path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js");
  return { compilerPath, isSolcJs: true, version: args.solcVersion, longVersion: require("solc/package.json").version };
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 1000 },
      evmVersion: "cancun",
    },
  },
  networks: {
    hardhat: {
      chainId: 31337,
      // Ballot batches are large: allow blocks big enough for a batch of 200.
      blockGasLimit: 60_000_000,
      allowBlocksWithSameTimestamp: true,
    },
  },
  mocha: {
    timeout: 120_000,
  },
};

export default config;
