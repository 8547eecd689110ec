import { Counter, Gauge, type Registry } from "prom-client";
import type { VerificationReport } from "../verification/report";

/** The observer's Prometheus metrics (served at /metrics with the HTTP and process metrics). */
export class ObserverMetrics {
  readonly lastBlock: Gauge;
  readonly chainHead: Gauge;
  readonly ballotsChecked: Counter;
  readonly syncErrors: Counter;
  readonly reorgs: Counter;
  private readonly holds: Gauge;
  private readonly ballots: Gauge;
  private readonly excluded: Gauge;
  private readonly rejected: Gauge;
  private readonly perStyle: Gauge;
  private readonly findings: Gauge;
  private readonly verificationSeconds: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.lastBlock = new Gauge({ name: "observer_last_block", help: "Last block indexed", registers });
    this.chainHead = new Gauge({ name: "observer_chain_head", help: "Head of the followed node", registers });
    this.ballotsChecked = new Counter({
      name: "observer_ballots_checked_total",
      help: "Ballots checked (credential, signature, proofs) by this process",
      registers,
    });
    this.syncErrors = new Counter({
      name: "observer_sync_errors_total",
      help: "Failed rounds of following the chain",
      registers,
    });
    this.reorgs = new Counter({
      name: "observer_reorgs_total",
      help: "Reorganisations deeper than the confirmations (the index was rebuilt)",
      registers,
    });
    this.holds = new Gauge({
      name: "observer_verification_holds",
      help: "1 when every check holds, 0 when one failed",
      registers,
    });
    this.ballots = new Gauge({
      name: "observer_ballots",
      help: "Recorded ballots by status (recorded, counted, superseded, revotes)",
      labelNames: ["status"],
      registers,
    });
    this.excluded = new Gauge({
      name: "observer_ballots_excluded",
      help: "Recorded ballots excluded from the count, by reason code",
      labelNames: ["code"],
      registers,
    });
    this.rejected = new Gauge({
      name: "observer_ballots_rejected_by_contract",
      help: "Ballots the contract refused (BallotRejected), by reason",
      labelNames: ["reason"],
      registers,
    });
    this.perStyle = new Gauge({
      name: "observer_style",
      help: "Per ballot style: credentials issued, voters, ballots recorded, ballots counted",
      labelNames: ["style", "measure"],
      registers,
    });
    this.findings = new Gauge({
      name: "observer_findings",
      help: "Findings of the last verification by kind and severity",
      labelNames: ["kind", "severity"],
      registers,
    });
    this.verificationSeconds = new Gauge({
      name: "observer_verification_seconds",
      help: "Duration of the last verification over the index",
      registers,
    });
  }

  update(report: VerificationReport, seconds: number): void {
    this.holds.set(report.holds ? 1 : 0);
    this.verificationSeconds.set(seconds);
    const b = report.ballots;
    this.ballots.reset();
    this.ballots.set({ status: "recorded" }, b.recorded);
    this.ballots.set({ status: "counted" }, b.counted);
    this.ballots.set({ status: "superseded" }, b.superseded);
    this.ballots.set({ status: "revotes" }, b.revotes);
    this.excluded.reset();
    for (const [code, n] of Object.entries(b.excluded)) this.excluded.set({ code }, n);
    this.rejected.reset();
    for (const [reason, n] of Object.entries(b.rejectedByContract)) this.rejected.set({ reason }, n);
    this.perStyle.reset();
    for (const s of report.styles) {
      const style = String(s.style);
      this.perStyle.set({ style, measure: "issued" }, s.issued);
      this.perStyle.set({ style, measure: "voters" }, s.voters);
      this.perStyle.set({ style, measure: "recorded" }, s.recorded);
      this.perStyle.set({ style, measure: "counted" }, s.counted);
    }
    this.findings.reset();
    const counts = new Map<string, { kind: string; severity: string; n: number }>();
    for (const f of report.findings) {
      const key = `${f.kind}/${f.severity}`;
      const entry = counts.get(key) ?? { kind: f.kind, severity: f.severity, n: 0 };
      entry.n++;
      counts.set(key, entry);
    }
    for (const { kind, severity, n } of counts.values()) this.findings.set({ kind, severity }, n);
  }
}
