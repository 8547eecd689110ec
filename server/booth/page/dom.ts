import type { ShownError } from "./errors";
import { applyLanguage, initialLanguage, LANGUAGES, t, type Language, type MessageKey } from "./i18n";

/** Small DOM helpers: text only (never innerHTML), so nothing a service returns can become markup. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** Shows one section of the page and moves the keyboard focus to its heading. */
export function showSection(id: string, sectionIds: readonly string[]): void {
  for (const other of sectionIds) byId(other).hidden = other !== id;
  const heading = byId(id).querySelector<HTMLElement>("h2");
  if (heading !== null) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

/** The polite status line (aria-live) for progress. */
export function setStatus(message: string): void {
  byId("status").textContent = message;
}

/** What the error box shows: re-rendered on a language switch, so it is kept as a function. */
let shownError: (() => ShownError) | null = null;

function renderError(focus: boolean): void {
  const box = byId("error");
  box.replaceChildren();
  const shown = shownError?.();
  if (shown === undefined) {
    box.hidden = true;
    return;
  }
  box.append(el("p", {}, shown.message));
  if (shown.code !== undefined)
    box.append(el("p", { class: "error-code" }, t("error.code", { code: shown.code })));
  if (shown.detail !== undefined)
    box.append(el("p", { class: "error-code" }, t("error.details", { detail: shown.detail })));
  box.hidden = false;
  if (focus) {
    box.tabIndex = -1;
    box.focus();
  }
}

/** Shows an error in the assertive box (role=alert) and moves the focus there. */
export function showError(render: () => ShownError): void {
  shownError = render;
  renderError(true);
}

/** Hides the error box (the voter fixed what it said, or started another step). */
export function clearError(): void {
  if (shownError === null) return;
  shownError = null;
  renderError(false);
}

export function setBusy(busy: boolean): void {
  document.body.setAttribute("aria-busy", busy ? "true" : "false");
  for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>("button[data-action]")))
    button.disabled = busy;
}

/** Offers a JSON value as a file download (a blob: link; nothing leaves the browser). */
export function downloadJson(fileName: string, value: unknown): void {
  const blob = new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: fileName });
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A time in the voter's time zone, with the zone named (e.g. "1 Dec 2026, 20:00 GMT+3"). */
export function formatTime(unixSeconds: number, withZone = true): string {
  // (dateStyle/timeStyle cannot be combined with timeZoneName: the fields are spelled out.)
  return new Date(unixSeconds * 1000).toLocaleString(document.documentElement.lang || undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    ...(withZone ? { timeZoneName: "short" } : {}),
  });
}

/** The voter's time zone by name (e.g. "Europe/Moscow"), for the voting window. */
export const timeZoneName = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

export const LANGUAGE_KEY = "ballot-ledger/lang";

function storedLanguage(): string | null {
  try {
    return localStorage.getItem(LANGUAGE_KEY);
  } catch {
    return null;
  }
}

/**
 * Sets up the language switch (buttons with data-lang) and applies the
 * initial language; `onChange` re-renders what scripts wrote.
 */
export function setUpLanguage(onChange: () => void): void {
  const apply = (lang: Language) => {
    document.documentElement.lang = lang;
    applyLanguage(lang, document);
    for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>("button[data-lang]")))
      button.setAttribute("aria-pressed", button.dataset.lang === lang ? "true" : "false");
  };
  apply(initialLanguage(storedLanguage(), navigator.languages ?? [navigator.language]));
  for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>("button[data-lang]")))
    button.addEventListener("click", () => {
      const lang = button.dataset.lang as Language;
      if (!LANGUAGES.includes(lang)) return;
      try {
        localStorage.setItem(LANGUAGE_KEY, lang);
      } catch {
        // The choice still applies to this page.
      }
      apply(lang);
      onChange();
      renderError(false);
    });
}

export function message(key: MessageKey, params?: Record<string, string | number>): string {
  return t(key, params);
}
