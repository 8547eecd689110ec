import type { BallotChoices } from "../../protocol/ballot";
import { contestsOfStyle, type Contest, type Manifest } from "../../protocol/manifest";
import { el } from "./dom";
import { localized, t } from "./i18n";

/**
 * The ballot of one style as a form, each contest a fieldset: "choose one"
 * is a radio group (with an explicit blank choice when none is allowed),
 * "choose up to k" is a group of checkboxes where the unchecked ones are
 * disabled once k are checked. The minimum is checked by readChoices before
 * anything is encrypted (and again by encryptBallot itself).
 */
const BLANK = "";

export const ruleText = (contest: Contest): string => {
  const { minSelections: min, maxSelections: max } = contest;
  if (max === 1) return min === 1 ? t("ballot.chooseOne") : t("ballot.chooseOneOptional");
  if (min === max) return t("ballot.chooseExactly", { max });
  if (min === 0) return t("ballot.chooseUpTo", { max });
  return t("ballot.chooseBetween", { min, max });
};

const inputName = (contest: Contest) => `contest-${contest.id}`;

function contestFieldset(contest: Contest, selected: readonly string[]): HTMLFieldSetElement {
  const single = contest.maxSelections === 1;
  const ruleId = `rule-${contest.id}`;
  const counterId = `count-${contest.id}`;
  const options = el("div", { class: "options" });
  const choices = contest.options.map((o) => ({ id: o.id, title: localized(o.title) }));
  if (single && contest.minSelections === 0) choices.push({ id: BLANK, title: t("ballot.noChoice") });
  for (const option of choices) {
    const input = el("input", {
      type: single ? "radio" : "checkbox",
      name: inputName(contest),
      value: option.id,
      id: `option-${contest.id}-${option.id || "blank"}`,
      "aria-describedby": single ? ruleId : `${ruleId} ${counterId}`,
    });
    input.checked = option.id === BLANK ? false : selected.includes(option.id);
    options.append(el("label", { class: "option", for: input.id }, input, el("span", {}, option.title)));
  }
  const fieldset = el(
    "fieldset",
    { class: "contest", "data-contest": contest.id },
    el("legend", {}, localized(contest.title)),
    el("p", { class: "rule", id: ruleId }, ruleText(contest)),
    options,
  );
  if (!single) {
    fieldset.append(el("p", { class: "counter", id: counterId, "aria-live": "polite" }));
    fieldset.addEventListener("change", () => enforceLimit(fieldset, contest));
    enforceLimit(fieldset, contest);
  }
  return fieldset;
}

/** At k checked, the other checkboxes are disabled, so the maximum cannot be exceeded. */
function enforceLimit(fieldset: HTMLFieldSetElement, contest: Contest): void {
  const boxes = Array.from(fieldset.querySelectorAll<HTMLInputElement>("input[type=checkbox]"));
  const checked = boxes.filter((b) => b.checked).length;
  const full = checked >= contest.maxSelections;
  for (const box of boxes) box.disabled = full && !box.checked;
  const counter = fieldset.querySelector<HTMLElement>(".counter");
  if (counter !== null)
    counter.textContent =
      t("ballot.count", { n: checked, max: contest.maxSelections }) +
      (full ? ` ${t("ballot.limitReached")}` : "");
}

/** Renders the style's contests into `container`, with `selected` pre-checked. */
export function renderBallot(
  container: HTMLElement,
  manifest: Manifest,
  styleIndex: number,
  selected: BallotChoices = {},
): void {
  const contests = contestsOfStyle(manifest, styleIndex);
  if (contests === null) throw new RangeError(`unknown ballot style ${styleIndex}`);
  container.replaceChildren(...contests.map((c) => contestFieldset(c, selected[c.id] ?? [])));
}

export interface FormChoices {
  choices: Record<string, string[]>;
  problems: {
    /** One sentence per contest with fewer selections than its minimum. */
    tooFew: string[];
    /** One sentence per contest with more than its maximum (only possible past the form, e.g. devtools). */
    tooMany: string[];
  };
}

/** The choices in the form, and which contests break their minimum or maximum. */
export function readChoices(container: HTMLElement, manifest: Manifest, styleIndex: number): FormChoices {
  const contests = contestsOfStyle(manifest, styleIndex) ?? [];
  const choices: Record<string, string[]> = {};
  const problems: FormChoices["problems"] = { tooFew: [], tooMany: [] };
  for (const contest of contests) {
    const known = new Set(contest.options.map((o) => o.id));
    const picked = Array.from(
      container.querySelectorAll<HTMLInputElement>(`input[name="${inputName(contest)}"]`),
    )
      .filter((input) => input.checked && known.has(input.value))
      .map((input) => input.value);
    choices[contest.id] = picked;
    if (picked.length < contest.minSelections)
      problems.tooFew.push(
        t("ballot.tooFew", { contest: localized(contest.title), min: contest.minSelections }),
      );
    if (picked.length > contest.maxSelections)
      problems.tooMany.push(
        t("ballot.tooMany", { contest: localized(contest.title), max: contest.maxSelections }),
      );
  }
  return { choices, problems };
}

/** The chosen options' titles per contest, for the review step. */
export function describeChoices(
  manifest: Manifest,
  styleIndex: number,
  choices: BallotChoices,
): { contest: string; options: string[] }[] {
  return (contestsOfStyle(manifest, styleIndex) ?? []).map((contest) => ({
    contest: localized(contest.title),
    options: contest.options
      .filter((o) => (choices[contest.id] ?? []).includes(o.id))
      .map((o) => localized(o.title)),
  }));
}
