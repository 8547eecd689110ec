import { expect } from "chai";
import { runCli } from "../trustee/cli";

// README: every command answers bad input with a message and exit code 2 (usage).
describe("cli: usage errors exit 2, help and version exit 0", function () {
  it("an unknown option, an unknown command, a missing argument", async function () {
    for (const args of [
      ["--bogus"],
      ["no-such-command"],
      ["audit", "verify"],
      ["trustee", "decrypt", "--nope"],
    ]) {
      const run = await runCli(args);
      expect(run.code, args.join(" ")).to.equal(2);
      expect(run.stderr, args.join(" ")).to.match(/error:/);
    }
  });

  it("--help and --version", async function () {
    expect((await runCli(["--help"])).code).to.equal(0);
    const version = await runCli(["--version"]);
    expect(version.code).to.equal(0);
    expect(version.stdout.trim()).to.match(/^\d+\.\d+\.\d+$/);
  });
});
