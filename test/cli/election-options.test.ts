import { expect } from "chai";
import { CommanderError } from "commander";
import { parseOptions } from "../../scripts/election/options";

/**
 * The main job's command line (scripts/election/options.ts): the embedded
 * chain's node, and its refusals (a CommanderError, which scripts/election.ts
 * turns into exit code 2).
 */
describe("cli: the main job's options", function () {
  const parse = (...args: string[]) => parseOptions(["node", "election", ...args]);
  const refusal = (...args: string[]) => {
    try {
      parse(...args);
    } catch (error) {
      if (error instanceof CommanderError) return { exitCode: error.exitCode, message: error.message };
      throw error;
    }
    throw new Error(`${args.join(" ")} was accepted`);
  };

  it("runs on Hardhat's node unless --node anvil", function () {
    expect(parse().node).to.equal("hardhat");
    expect(parse("--node", "anvil", "--voters", "20").node).to.equal("anvil");
  });

  it("refuses another node, or --node beside --config or --network", function () {
    expect(refusal("--node", "geth").message).to.match(/hardhat or anvil/);
    expect(refusal("--node", "anvil", "--network", "local").message).to.match(/embedded chain/);
    expect(refusal("--node", "anvil", "--config", "chain.json").message).to.match(/embedded chain/);
  });
});
