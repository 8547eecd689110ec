import { LANGUAGE_KEY } from "./dom";
import { applyLanguage, initialLanguage, t } from "./i18n";

/**
 * The booth's first, small script (boot-<hash>.js, a few KiB): it runs before
 * the main bundle has arrived on a slow network and shows the page in the
 * voter's language (the stored choice, else the browser's) with a localized
 * loading line, instead of the HTML's English. The main bundle then takes over.
 */
function storedLanguage(): string | null {
  try {
    return localStorage.getItem(LANGUAGE_KEY);
  } catch {
    return null;
  }
}

const lang = initialLanguage(storedLanguage(), navigator.languages ?? [navigator.language]);
document.documentElement.lang = lang;
applyLanguage(lang, document);
const loading = document.getElementById("loading");
if (loading !== null) loading.textContent = t("status.loading");
