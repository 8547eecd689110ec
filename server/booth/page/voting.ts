import { privateKeyToAccount } from "viem/accounts";
import {
  ballotHash,
  challengeReveal,
  encryptBallot,
  trackingCode,
  type BallotChoices,
  type EncryptedBallotOutput,
} from "../../protocol/ballot";
import { verifyCredential } from "../../protocol/credential";
import { nullifierOf, signBallot } from "../../protocol/eip712";
import { bytesEqual, hexToBytes, toHex } from "../../protocol/primitives/bytes";
import { initCrypto } from "../../protocol/primitives/sodium";
import {
  checkReceipt,
  finishCredential,
  newVotingKey,
  startCredentialRequest,
  votingAddressOf,
  type PreparedBallot,
  type RelayReceipt,
} from "../../voter/booth";
import {
  fetchVoterStyle,
  NoRelayAnsweredError,
  requestBlindSignature,
  ServiceError,
  submitBallot,
} from "../../voter/services-client";
import { describeChoices, readChoices, renderBallot } from "./ballot-form";
import {
  byId,
  clearError,
  downloadJson,
  el,
  formatTime,
  setBusy,
  setStatus,
  setUpLanguage,
  showError,
  showSection,
  timeZoneName,
} from "./dom";
import { loadBoothElection, trackerLinks, type BoothElection, type TrackerLink } from "./election";
import { BoothError, explain, type Service } from "./errors";
import { localized, t } from "./i18n";
import {
  forgetVoterState,
  keyFileOf,
  loadVoterState,
  mergeBallots,
  newVoterState,
  nextSequence,
  readKeyFile,
  saveVoterState,
  type CastRecord,
  type VoterState,
} from "./storage";

/**
 * The voting page (index.html): sign in -> credential -> ballot -> encrypt ->
 * review (tracking code) -> cast or challenge -> receipt -> re-vote.
 * All cryptography is the protocol module's; this file only sequences it.
 */
/** How long one relay may take to answer before the next is tried (the ballot is the same signed bytes). */
const RELAY_TIMEOUT_MS = 15_000;
/** After this long the voter is told that the relay is slow and what happens next. */
const SLOW_RELAY_MS = 5_000;

const SECTIONS = [
  "section-signin",
  "section-ballot",
  "section-review",
  "section-challenge",
  "section-receipt",
];

interface Encrypted {
  output: EncryptedBallotOutput;
  choices: BallotChoices;
  trackingCode: string;
  ballotHash: `0x${string}`;
  /** Set once signed for casting: a retry after a lost answer re-sends exactly these bytes. */
  prepared: PreparedBallot | null;
}

interface ChallengeFile {
  version: 1;
  election: string;
  ballot: `0x${string}`;
  reveal: ReturnType<typeof challengeReveal>;
}

class BoothPage {
  private state: VoterState | null = null;
  private choices: BallotChoices = {};
  private encrypted: Encrypted | null = null;
  private challenged: { file: ChallengeFile; trackingCode: string } | null = null;
  private lastCast: CastRecord | null = null;
  private section = "section-signin";
  private storageWorks = true;

  constructor(private readonly election: BoothElection) {
    this.state = loadVoterState(localStorage, election.context);
  }

  private get location() {
    return this.election.context;
  }

  start(): void {
    byId("form-signin").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.run("registrar", () => this.signIn());
    });
    byId("form-ballot").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.run(undefined, () => this.encrypt());
    });
    // Enter on a choice selects it (as Space does) instead of submitting a ballot the voter has not finished.
    byId("form-ballot").addEventListener("keydown", (event) => {
      const target = event.target;
      if (event.key !== "Enter" || !(target instanceof HTMLInputElement)) return;
      if (target.type !== "radio" && target.type !== "checkbox") return;
      event.preventDefault();
      if (target.disabled) return;
      target.checked = target.type === "radio" ? true : !target.checked;
      target.dispatchEvent(new Event("change", { bubbles: true }));
    });
    // An error about the form goes away as soon as the voter changes what it was about.
    byId("form-ballot").addEventListener("change", () => clearError());
    byId("form-signin").addEventListener("input", () => clearError());
    byId("button-continue").addEventListener("click", () => this.showBallot());
    byId("input-import").addEventListener("change", () => void this.run(undefined, () => this.importKey()));
    byId("button-cast").addEventListener("click", () => void this.run("relay", () => this.cast()));
    byId("button-challenge").addEventListener(
      "click",
      () => void this.run(undefined, () => this.challenge()),
    );
    byId("button-back").addEventListener("click", () => this.discardAndEdit());
    byId("button-again").addEventListener("click", () => this.discardAndEdit());
    byId("button-challenge-download").addEventListener("click", () => {
      if (this.challenged !== null)
        downloadJson(`challenge-${this.challenged.trackingCode}.json`, this.challenged.file);
    });
    byId("button-receipt-download").addEventListener("click", () => this.downloadReceipt());
    for (const id of ["button-export", "button-export-signin"])
      byId(id).addEventListener("click", () => this.exportKey());
    byId("button-revote").addEventListener("click", () => this.showBallot());
    byId("button-forget").addEventListener("click", () => this.forgetKey());
    this.renderElection();
    this.showStart();
  }

  /** Runs a step with the buttons disabled; any failure becomes one clear message. */
  private async run(service: Service | undefined, step: () => Promise<void>): Promise<void> {
    clearError();
    setBusy(true);
    try {
      await step();
    } catch (error) {
      console.error(error); // the technical detail, for whoever looks at the browser's console
      showError(() => explain(error, service));
    } finally {
      setBusy(false);
      setStatus("");
    }
  }

  private save(): void {
    if (this.state === null) return;
    this.storageWorks = saveVoterState(localStorage, this.location, this.state);
    byId("storage-warning").hidden = this.storageWorks;
  }

  // ------------------------------------------------------------ rendering

  rerender(): void {
    this.renderElection();
    this.renderHistory();
    if (this.section === "section-signin") this.renderStart();
    if (this.section === "section-ballot") {
      this.choices = readChoices(
        byId("ballot-contests"),
        this.election.context.manifest,
        this.style(),
      ).choices;
      this.renderBallotForm();
    }
    if (this.section === "section-review") this.renderReview();
    if (this.section === "section-challenge") this.renderChallenge();
    if (this.section === "section-receipt") this.renderReceipt();
  }

  private renderElection(): void {
    const { manifest } = this.election.context;
    const info = this.election.info;
    byId("election-title").textContent = localized(manifest.title);
    byId("election-window").textContent = t("election.window", {
      opens: formatTime(info.opensAt ?? manifest.votingWindow.opensAt, false),
      closes: formatTime(info.closesAt ?? manifest.votingWindow.closesAt, false),
      zone: timeZoneName(),
    });
    const code = info.window.open ? null : info.window.code;
    const revote = byId("election-revote");
    // Once voting has closed, what re-voting allows no longer matters to the voter.
    revote.hidden = code === "voting-closed";
    revote.textContent = t(this.election.revotesAllowed ? "election.revoteAllowed" : "election.revoteNone");
    const closed = byId("election-closed");
    closed.hidden = code === null;
    closed.textContent =
      code === "voting-closed"
        ? t("election.closed")
        : code === "election-paused"
          ? t("election.paused")
          : t("election.notOpen");
  }

  private renderHistory(): void {
    const list = byId("history-list");
    const ballots = this.state?.ballots ?? [];
    byId("history").hidden = ballots.length === 0;
    list.replaceChildren(
      ...ballots.map((b) =>
        el(
          "li",
          {},
          el(
            "a",
            { href: trackerLinks(this.election, b.trackingCode, location.origin)[0].href },
            t("history.entry", { n: b.sequence, code: b.trackingCode }),
          ),
        ),
      ),
    );
  }

  private canVote(): boolean {
    if (!this.election.info.window.open) return false;
    const voted = (this.state?.ballots.length ?? 0) > 0;
    return !voted || this.election.revotesAllowed;
  }

  private renderStart(): void {
    const open = this.election.info.window.open;
    const hasCredential = this.state?.credential != null;
    byId("signin-heading").textContent = t(
      !hasCredential && open
        ? "signin.heading"
        : this.canVote()
          ? "signin.headingReturning"
          : "signin.headingDone",
    );
    byId("signin-form-block").hidden = hasCredential || !open;
    byId("signin-have-key").hidden = !hasCredential;
    byId("signin-have-key-text").hidden = !open;
    byId("button-continue").hidden = !this.canVote();
    byId("signin-no-revote").hidden = !(hasCredential && !this.canVote() && open);
    // Importing a key only serves to vote (again) from this device: not once voting is over.
    byId("signin-import").hidden = !open;
  }

  private showStart(): void {
    this.section = "section-signin";
    this.renderStart();
    this.renderHistory();
    showSection("section-signin", SECTIONS);
  }

  private style(): number {
    return this.state?.credential?.styleIndex ?? 0;
  }

  private renderBallotForm(): void {
    const { manifest } = this.election.context;
    byId("ballot-style").textContent = t("ballot.style", {
      style: localized(manifest.ballotStyles[this.style()].title),
    });
    byId("ballot-sequence").textContent = t("ballot.sequence", { n: nextSequence(this.state!).toString() });
    renderBallot(byId("ballot-contests"), manifest, this.style(), this.choices);
  }

  private showBallot(): void {
    if (this.state?.credential == null) return this.showStart();
    clearError();
    this.section = "section-ballot";
    this.renderBallotForm();
    showSection("section-ballot", SECTIONS);
  }

  // ------------------------------------------------------------ sign in and credential

  private async signIn(): Promise<void> {
    const registrarUrl = this.election.registrarUrl;
    if (registrarUrl === null)
      throw new BoothError("code.registrar-unreachable", {}, "no-registrar-configured");
    const voterIdInput = byId<HTMLInputElement>("input-voter-id");
    const voterId = voterIdInput.value.trim();
    const codeInput = byId<HTMLInputElement>("input-code");
    const code = codeInput.value.trim();
    for (const [input, value, key] of [
      [voterIdInput, voterId, "signin.missingVoterId"],
      [codeInput, code, "signin.missingCode"],
    ] as const)
      if (value === "") {
        input.setAttribute("aria-invalid", "true");
        setTimeout(() => input.focus(), 0);
        throw new BoothError(key);
      } else input.removeAttribute("aria-invalid");
    setStatus(t("status.credential"));
    const { style } = await fetchVoterStyle(registrarUrl, voterId, code);
    const modulus = this.election.registrarKeys.get(style);
    if (modulus === undefined) throw new BoothError("error.noStyleKey", {}, "registrar-key-missing");
    await this.checkRegistrarKey(registrarUrl, style, modulus);

    let state = this.state ?? newVoterState(this.location, newVotingKey());
    if (state.pendingRequest === null || state.pendingRequest.styleIndex !== style)
      state = {
        ...state,
        pendingRequest: await startCredentialRequest(this.location, modulus, style, state.votingKey),
      };
    this.state = state;
    this.save(); // before sending: a retry must send the same blinded message
    let issued;
    try {
      issued = await requestBlindSignature(registrarUrl, {
        voterId,
        code,
        style,
        blindedMessage: state.pendingRequest!.blindedMessage,
      });
    } catch (error) {
      if (error instanceof ServiceError && error.code === "wrong-style") {
        this.state = { ...state, pendingRequest: null };
        this.save();
      }
      throw error;
    }
    let credential;
    try {
      credential = await finishCredential(modulus, state.pendingRequest!, issued.blindSignature);
    } catch {
      throw new BoothError("error.credentialInvalid", {}, "invalid-blind-signature");
    }
    this.state = { ...state, pendingRequest: null, credential };
    this.save();
    codeInput.value = "";
    this.showBallot();
  }

  /** The registrar's own view of its key must be the one the relay read from the chain. */
  private async checkRegistrarKey(registrarUrl: string, style: number, modulus: Uint8Array): Promise<void> {
    const response = await fetch(`${registrarUrl}/v1/keys`, { headers: { accept: "application/json" } });
    if (!response.ok)
      throw new ServiceError(
        response.status,
        `http-${response.status}`,
        `registrar /v1/keys: HTTP ${response.status}`,
      );
    const body = (await response.json()) as { keys?: { style?: unknown; modulus?: unknown }[] };
    const served = body.keys?.find((k) => k.style === style)?.modulus;
    if (
      typeof served !== "string" ||
      !/^0x([0-9a-fA-F]{2})+$/.test(served) ||
      !bytesEqual(hexToBytes(served), modulus)
    )
      throw new BoothError("error.keysMismatch", {}, "registrar-key-mismatch");
  }

  private async importKey(): Promise<void> {
    const input = byId<HTMLInputElement>("input-import");
    const file = input.files?.[0];
    input.value = "";
    if (file === undefined) return;
    const read = readKeyFile(await file.text(), this.location);
    if (!read.ok)
      throw read.reason === "wrong-election"
        ? new BoothError("file.wrongElection", {}, "wrong-election")
        : new BoothError("file.invalid", { reason: read.detail }, "invalid-key-file");
    const credential = read.state.credential!;
    const modulus = this.election.registrarKeys.get(credential.styleIndex);
    const check =
      modulus === undefined
        ? { ok: false }
        : await verifyCredential(
            this.location,
            credential.styleIndex,
            votingAddressOf(read.state.votingKey),
            {
              messagePrefix: hexToBytes(credential.messagePrefix),
              signature: hexToBytes(credential.signature),
            },
            modulus,
          );
    if (!check.ok) throw new BoothError("file.credentialInvalid", {}, "invalid-credential");
    const sameKey = this.state?.votingKey.toLowerCase() === read.state.votingKey.toLowerCase();
    this.state = {
      ...read.state,
      ballots: sameKey ? mergeBallots(this.state!.ballots, read.state.ballots) : read.state.ballots,
    };
    this.save();
    setStatus(t("signin.imported"));
    this.showStart();
  }

  /** A shared device: the next voter needs the sign-in form, so this voter's key goes (after a confirmation). */
  private forgetKey(): void {
    if (this.state === null || !window.confirm(t("signin.forgetConfirm"))) return;
    forgetVoterState(localStorage, this.location);
    this.state = null;
    this.lastCast = null;
    this.choices = {};
    this.showStart();
  }

  private exportKey(): void {
    if (this.state === null) return;
    downloadJson(
      `voting-key-${this.location.election.slice(2, 10).toLowerCase()}.json`,
      keyFileOf(this.state),
    );
  }

  // ------------------------------------------------------------ encrypt, review, cast, challenge

  private async encrypt(): Promise<void> {
    const state = this.state;
    if (state?.credential == null) return this.showStart();
    const { context } = this.election;
    const { choices, problems } = readChoices(byId("ballot-contests"), context.manifest, this.style());
    this.choices = choices;
    if (problems.tooFew.length > 0)
      throw new BoothError(
        "ballot.incomplete",
        { problems: problems.tooFew.join(" ") },
        "too-few-selections",
      );
    // More than the maximum can only be forced past the form (the boxes are disabled): refuse, never trim.
    if (problems.tooMany.length > 0)
      throw new BoothError(
        "ballot.incomplete",
        { problems: problems.tooMany.join(" ") },
        "too-many-selections",
      );
    setStatus(t("status.encrypting"));
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the status paint before the busy work
    const nullifier = nullifierOf(context.election, votingAddressOf(state.votingKey));
    const credential = {
      messagePrefix: hexToBytes(state.credential.messagePrefix),
      signature: hexToBytes(state.credential.signature),
    };
    const output = encryptBallot(context, state.credential.styleIndex, choices, nullifier, credential);
    const hash = toHex(ballotHash(output.bytes));
    this.encrypted = {
      output,
      choices,
      trackingCode: trackingCode(context, hash),
      ballotHash: hash,
      prepared: null,
    };
    this.section = "section-review";
    this.renderReview();
    showSection("section-review", SECTIONS);
  }

  private renderReview(): void {
    if (this.encrypted === null) return;
    byId("review-code").textContent = this.encrypted.trackingCode;
    // Once signed and sent, a ballot may have been accepted even if the answer was lost: never reveal it.
    byId("button-challenge").hidden = this.encrypted.prepared !== null;
    byId("review-choices").replaceChildren(...this.choiceList(this.encrypted.choices));
  }

  private choiceList(choices: BallotChoices): HTMLElement[] {
    return describeChoices(this.election.context.manifest, this.style(), choices).map(
      ({ contest, options }) =>
        el(
          "div",
          { class: "choice" },
          el("dt", {}, contest),
          el("dd", {}, options.length > 0 ? options.join(", ") : t("review.blank")),
        ),
    );
  }

  private discardAndEdit(): void {
    if (this.encrypted !== null) this.choices = this.encrypted.choices;
    this.encrypted = null;
    this.challenged = null;
    this.showBallot();
  }

  private async challenge(): Promise<void> {
    const encrypted = this.encrypted;
    if (encrypted === null || encrypted.prepared !== null) return;
    this.challenged = {
      file: {
        version: 1,
        election: this.location.election,
        ballot: toHex(encrypted.output.bytes),
        reveal: challengeReveal(encrypted.output, encrypted.choices),
      },
      trackingCode: encrypted.trackingCode,
    };
    this.choices = encrypted.choices;
    this.encrypted = null; // a challenged ballot is never cast
    this.section = "section-challenge";
    this.renderChallenge();
    showSection("section-challenge", SECTIONS);
  }

  private renderChallenge(): void {
    if (this.challenged === null) return;
    byId("challenge-intro").textContent = t("challenge.intro", { code: this.challenged.trackingCode });
    byId("challenge-code").textContent = this.challenged.trackingCode;
    byId("challenge-json").textContent = JSON.stringify(this.challenged.file, null, 2);
  }

  private async cast(): Promise<void> {
    const encrypted = this.encrypted;
    const state = this.state;
    if (encrypted === null || state === null) return;
    setStatus(t("status.casting"));
    if (encrypted.prepared === null) {
      const sequence = nextSequence(state);
      const account = privateKeyToAccount(state.votingKey);
      const signature = await signBallot(account, this.location, encrypted.output.bytes, sequence);
      encrypted.prepared = {
        request: {
          ballot: toHex(encrypted.output.bytes),
          sequence: sequence.toString(),
          signature,
          election: this.location.election,
        },
        ballotHash: encrypted.ballotHash,
        trackingCode: encrypted.trackingCode,
        sequence,
      };
    }
    const prepared = encrypted.prepared;
    this.renderReview();
    const { relayUrl, answer } = await this.submitWithProgress(prepared);
    const cast: CastRecord = {
      sequence: prepared.sequence.toString(),
      trackingCode: prepared.trackingCode,
      ballotHash: prepared.ballotHash,
      relayUrl,
      relay: answer?.relay ?? null,
      receipt: answer?.receipt ?? null,
      signature: answer?.signature ?? null,
    };
    this.state = { ...state, ballots: mergeBallots(state.ballots, [cast]) };
    this.save();
    this.lastCast = cast;
    this.encrypted = null;
    this.choices = {};
    this.section = "section-receipt";
    this.renderReceipt();
    this.renderHistory();
    showSection("section-receipt", SECTIONS);
    if (answer === null) return;
    const check = await checkReceipt(this.election.context, prepared, answer);
    if (!check.ok) throw new BoothError("error.receiptInvalid", { reason: check.reason }, "invalid-receipt");
  }

  /**
   * Sends the signed ballot to the relays in order, one at a time, telling the
   * voter which relay is being tried and for how long; a relay that does not
   * answer within RELAY_TIMEOUT_MS is left for the next (the same bytes: the
   * ballot counts at most once). A refusal is final (submitBallot), except
   * duplicate-ballot: a relay holds, or the chain records, this very ballot
   * (same bytes and sequence), so an earlier attempt got through and its
   * answer was lost; the ballot is accepted, without a receipt (answer null).
   */
  private async submitWithProgress(
    prepared: PreparedBallot,
  ): Promise<{ relayUrl: string; answer: RelayReceipt | null }> {
    const urls = this.election.relayUrls;
    const attempts: NoRelayAnsweredError["attempts"] = [];
    const progress = byId("progress");
    for (const [i, url] of urls.entries()) {
      const started = Date.now();
      setStatus(t("status.castingRelay", { n: i + 1, count: urls.length, host: new URL(url).host }));
      const tick = () => {
        const elapsed = Date.now() - started;
        progress.textContent =
          t("status.elapsed", { seconds: Math.floor(elapsed / 1000) }) +
          (elapsed >= SLOW_RELAY_MS
            ? ` ${t("status.castingSlow", { timeout: RELAY_TIMEOUT_MS / 1000 })}`
            : "");
      };
      tick();
      progress.hidden = false;
      const timer = setInterval(tick, 1000);
      try {
        return await submitBallot([url], prepared, { timeoutMs: RELAY_TIMEOUT_MS });
      } catch (error) {
        if (error instanceof ServiceError && error.code === "duplicate-ballot")
          return { relayUrl: url, answer: null };
        if (!(error instanceof NoRelayAnsweredError)) throw error;
        attempts.push(...error.attempts);
      } finally {
        clearInterval(timer);
        progress.hidden = true;
      }
    }
    throw new NoRelayAnsweredError(attempts);
  }

  private renderReceipt(): void {
    const cast = this.lastCast;
    if (cast === null) return;
    byId("receipt-code").textContent = cast.trackingCode;
    // No receipt: the relay's answer was lost, another relay confirmed it holds (or the chain records) this ballot.
    const receipt = cast.receipt;
    byId("receipt-intro").textContent =
      receipt === null ? t("receipt.lost", { url: cast.relayUrl }) : t("receipt.intro");
    byId("button-receipt-download").hidden = receipt === null;
    const rows: [string, string][] = [
      [t("receipt.sequence"), cast.sequence],
      [t("receipt.ballotHash"), cast.ballotHash],
      ...(receipt === null
        ? [[t("receipt.confirmedBy"), cast.relayUrl] as [string, string]]
        : [
            [t("receipt.relay"), `${cast.relay} (${cast.relayUrl})`] as [string, string],
            [t("receipt.acceptedAt"), formatTime(receipt.acceptedAt)] as [string, string],
          ]),
    ];
    byId("receipt-details").replaceChildren(
      ...rows.map(([name, value]) =>
        el("div", { class: "choice" }, el("dt", {}, name), el("dd", { class: "mono" }, value)),
      ),
    );
    // The first tracker (an observer's public tracker when the manifest names one: it reads the chain
    // itself, so it answers when the relays are down), then the others as fallbacks.
    const [best, ...others] = trackerLinks(this.election, cast.trackingCode, location.origin);
    byId<HTMLAnchorElement>("receipt-track").href = best.href;
    byId("receipt-track-hint").textContent = t(
      best.kind === "observer" ? "receipt.trackHintPublic" : "receipt.trackHint",
    );
    const label = (link: TrackerLink) =>
      t(link.kind === "observer" ? "receipt.trackObserver" : "receipt.trackRelay", { host: link.host });
    const othersLine = byId("receipt-track-others");
    othersLine.hidden = others.length === 0;
    othersLine.replaceChildren(
      t("receipt.trackOthers"),
      ...others.flatMap((link, i) => [
        i === 0 ? " " : ", ",
        el("a", { href: link.href, "data-kind": link.kind }, label(link)),
      ]),
    );
    byId("button-revote").hidden = !this.canVote();
    byId("receipt-no-revote").hidden = this.election.revotesAllowed;
  }

  private downloadReceipt(): void {
    const cast = this.lastCast;
    if (cast === null || cast.receipt === null) return;
    downloadJson(`receipt-${cast.trackingCode}.json`, {
      kind: "ballot-ledger-receipt",
      chainId: this.location.chainId.toString(),
      election: this.location.election,
      trackingCode: cast.trackingCode,
      ballotHash: cast.ballotHash,
      sequence: cast.sequence,
      relayUrl: cast.relayUrl,
      relay: cast.relay,
      receipt: cast.receipt,
      signature: cast.signature,
    });
  }
}

/** Entry point of index.html. */
export async function startVotingPage(): Promise<void> {
  let page: BoothPage | null = null;
  setUpLanguage(() => page?.rerender());
  setStatus(t("status.loading"));
  try {
    await initCrypto();
    const election = await loadBoothElection();
    page = new BoothPage(election);
    page.start();
    byId("booth").hidden = false;
    setStatus("");
  } catch (error) {
    setStatus("");
    showError(() => explain(error, "relay"));
  } finally {
    byId("loading").hidden = true;
  }
}
