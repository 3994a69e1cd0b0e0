// What counts as an e-mail address we will write to: one home for the rule, used at subscription, at
// creation (an invalid address on a report gets no e-mail, the report is still taken) and for MAIL_FROM.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isValidEmail(text: string): boolean {
  return text.length <= 254 && EMAIL.test(text) && !text.startsWith('.') && !text.includes('..');
}

/** The form addresses are stored in: trimmed, the domain in lower case (the local part is the owner's). */
export function normalizeEmail(text: string): string {
  const trimmed = text.trim();
  const at = trimmed.lastIndexOf('@');
  return at < 0 ? trimmed : `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}

export type Language = 'en' | 'es';
export const LANGUAGES: readonly Language[] = ['en', 'es'];

/** The template language for a locale or Accept-Language-like text ("es", "es-MX", "es_US"): English otherwise. */
export function languageOf(locale: string | null | undefined): Language {
  return locale && /^es(?:$|[-_])/i.test(locale.trim()) ? 'es' : 'en';
}
