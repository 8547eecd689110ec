/**
 * The observer dashboard in headless Chromium (the browser of test/booth/browser.ts),
 * at 1280 and 390 px, in English and Russian, with screenshots in out/screenshots/:
 * Chart.js charts with the manifest's names (never ids), re-votes apart from what was
 * refused, plural forms, findings explained by their code in the page's language (never
 * the verifier's English), an empty findings table that says so, no horizontal overflow
 * on a phone, and no script error or Content-Security-Policy violation.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import type { Page } from "playwright-core";
import { FINDING_TEXTS } from "../../server/observer/public/finding-texts";
import type { VerificationReport } from "../../server/verification/report";
import { launchChromium } from "./browser";

const SHOTS = path.resolve(__dirname, "..", "..", "out", "screenshots");

/** Chart.js's data of the chart drawn on canvas #id, as the page holds it. */
const chartData = (page: Page, id: string) =>
  page.evaluate((canvas) => {
    const chart = (
      window as unknown as { Chart: { getChart(id: string): { data: unknown } | undefined } }
    ).Chart.getChart(canvas);
    return chart === undefined ? null : JSON.parse(JSON.stringify(chart.data));
  }, id) as Promise<{
    labels?: (string | string[])[];
    datasets: { label: string; data: unknown[] }[];
  } | null>;

export async function checkDashboardInBrowser(
  url: string,
  report: VerificationReport,
  expected: { styleNames: string[]; contestName: string; faults: number },
): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await launchChromium();
  const errors: string[] = [];
  const open = async (width: number, height: number, locale: string) => {
    const context = await browser.newContext({ viewport: { width, height }, locale, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(`${url}/`);
    await page.waitForSelector("#findings tbody tr");
    await page.waitForFunction(() => document.querySelector("#election-title")?.textContent !== "");
    return page;
  };
  try {
    const page = await open(1280, 900, "en-US");
    expect(await page.textContent("#verdict")).to.equal(`VERIFICATION FAILED: ${expected.faults} faults`);
    const turnout = await chartData(page, "turnout");
    expect(turnout!.datasets.map((d) => d.label.split(":")[0])).to.deep.equal(expected.styleNames);
    const issued = await chartData(page, "issued");
    expect(issued!.labels).to.deep.equal(expected.styleNames);
    expect(issued!.datasets.map((d) => d.label)).to.deep.equal([
      "credentials issued",
      "voters",
      "ballots (with re-votes)",
      "counted",
    ]);
    const days = await chartData(page, "days");
    expect(days!.labels![0][0]).to.equal("day 1"); // then the date, on a second line
    expect(days!.labels![0]).to.have.length(2);
    expect(days!.datasets.map((d) => d.label)).to.deep.equal(expected.styleNames);
    // Re-votes are not among the refused: they are a note, not a red bar.
    const refused = await chartData(page, "refused");
    expect(refused!.labels!.flat().join(" ")).not.to.match(/superseded|re-vote/);
    expect(refused!.labels).to.deep.include(["excluded by the observer", "invalid proof"]);
    if (report.ballots.superseded > 0)
      expect(await page.textContent("#revotes-note")).to.include(
        "replaced by a later ballot of the same voter",
      );
    expect(await page.textContent("#tally")).to.contain(report.tally!.hash);
    expect(await page.textContent("#tally")).to.contain(expected.contestName);
    // V10 per district: a row per ballot style, with its name and the report's counts.
    const districts = await page.locator("#reconciliation tr").allTextContents();
    expect(districts).to.have.length(report.reconciliation.length + 1);
    report.reconciliation.forEach((row, i) => {
      expect(districts[i + 1]).to.contain(expected.styleNames[row.style]);
      expect(districts[i + 1]).to.contain(String(row.credentialsIssued));
    });
    expect(await page.locator("#findings tbody tr").count()).to.equal(report.findings.length);
    const meanings = () => page.locator("#findings tbody .finding-text").allTextContents();
    expect(report.findings.length).to.be.greaterThan(0);
    expect(await meanings()).to.deep.equal(report.findings.map((f) => FINDING_TEXTS[f.code].en));
    expect(await page.textContent("#turnout-zone")).to.include("UTC");
    await page.screenshot({ path: path.join(SHOTS, "dashboard-1280-en.png"), fullPage: true });

    await page.click("button[data-lang=ru]");
    expect(await page.textContent("#verdict")).to.equal(
      `ПРОВЕРКА НЕ ПРОЙДЕНА: ${expected.faults} ${expected.faults === 1 ? "нарушение" : expected.faults < 5 ? "нарушения" : "нарушений"}`,
    );
    expect(await page.textContent("#findings-heading")).to.equal("Замечания");
    expect(await meanings()).to.deep.equal(report.findings.map((f) => FINDING_TEXTS[f.code].ru));
    // What the page shows of the findings is Russian: the verifier's English is folded away.
    const shownFindings = await page.locator("#findings tbody").innerText();
    for (const { reason } of report.findings) if (reason !== "") expect(shownFindings).not.to.include(reason);
    expect(shownFindings).to.include("подробности проверки (на английском)");
    expect((await chartData(page, "days"))!.labels![0][0]).to.equal("день 1");
    expect((await chartData(page, "refused"))!.labels).to.deep.include([
      "исключён наблюдателем",
      "неверное доказательство",
    ]);
    await page.screenshot({ path: path.join(SHOTS, "dashboard-1280-ru.png"), fullPage: true });

    // A phone: nothing wider than the screen, and the charts keep their height.
    const phone = await open(390, 844, "ru-RU");
    expect(await phone.textContent("#findings-heading")).to.equal("Замечания"); // the language persists
    await phone.screenshot({ path: path.join(SHOTS, "dashboard-390-ru.png"), fullPage: true });
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow, "no horizontal scrolling at 390 px").to.be.at.most(390);
    for (const id of ["turnout", "days", "issued"]) {
      const height = await phone.evaluate((c) => document.getElementById(c)!.clientHeight, id);
      expect(height, `#${id} at 390 px`).to.be.greaterThan(150);
    }

    // An election without findings: the table says so (the status as served, with no findings).
    await phone.route("**/api/status", async (route) => {
      const status = (await (await route.fetch()).json()) as { report: VerificationReport };
      status.report = { ...status.report, findings: [], holds: true };
      await route.fulfill({ json: status });
    });
    await phone.click("button[data-lang=en]");
    await phone.reload();
    await phone.waitForSelector("#findings tbody tr.empty");
    expect(await phone.textContent("#findings tbody")).to.include("No findings");
    expect(await phone.textContent("#verdict")).to.equal("Every check holds");
    await phone.screenshot({ path: path.join(SHOTS, "dashboard-390-en-no-findings.png"), fullPage: true });
    expect(errors).to.deep.equal([]);
  } finally {
    await browser.close();
  }
}
