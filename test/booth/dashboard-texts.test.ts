/**
 * The observer dashboard explains every finding by its code, in Russian and
 * English: each code of the verification's closed list (CHECKS) has a sentence
 * in both languages, and the script the pages load (/finding-texts.js) carries
 * exactly that table.
 */
import vm from "node:vm";
import { expect } from "chai";
import { EXCLUSION_CODES } from "../../server/protocol/counting";
import {
  EXCLUSION_LABELS,
  FINDING_TEXTS,
  findingTextsScript,
} from "../../server/observer/public/finding-texts";
import { CHECKS, type FindingCode } from "../../server/verification/findings";

const allCodes = (): FindingCode[] => Object.values(CHECKS).flatMap((check) => [...check.codes]);

describe("observer dashboard: finding texts", () => {
  it("has a sentence in Russian and in English for every finding code", () => {
    const codes = allCodes();
    expect(codes.length).to.be.greaterThan(50);
    for (const code of codes) {
      const text = FINDING_TEXTS[code];
      expect(text, `no text for ${code}`).to.be.an("object");
      expect(text.en.trim(), `${code}: English`).not.to.equal("");
      expect(text.ru.trim(), `${code}: Russian`).not.to.equal("");
      expect(text.ru, `${code}: the Russian text is Russian`).to.match(/[а-яё]/i);
      expect(text.en, `${code}: the English text is English`).not.to.match(/[а-яё]/i);
      expect(text.en, `${code}: a sentence, not the code`).not.to.include(code);
    }
    expect(Object.keys(FINDING_TEXTS).sort(), "no text for a code that does not exist").to.deep.equal(
      [...new Set(codes)].sort(),
    );
  });

  it("has a short name in Russian and in English for every exclusion code (the chart's labels)", () => {
    for (const code of EXCLUSION_CODES) {
      expect(EXCLUSION_LABELS[code].en.trim(), `${code}: English`).not.to.equal("");
      expect(EXCLUSION_LABELS[code].ru, `${code}: Russian`).to.match(/[а-яё]/i);
    }
  });

  it("serves the same tables to the pages as a script", () => {
    const served = vm.runInNewContext(
      `${findingTextsScript()}\nJSON.stringify([FINDING_TEXTS, EXCLUSION_LABELS]);`,
    ) as string;
    expect(JSON.parse(served)).to.deep.equal([FINDING_TEXTS, EXCLUSION_LABELS]);
  });
});
