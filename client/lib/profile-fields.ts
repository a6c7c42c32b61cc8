/**
 * The model's stage profile as the studio edits it, and its checks in plain words. The server keeps the
 * profile sealed (`profile:set` / `profile:get`, at most 16 fields of at most LIMITS.profileFieldMaxLength
 * characters each) and serves it to its owner only; the checks here are tighter, so that what the form accepts
 * the server accepts too. The private-show price and minimum are not in the profile: they are public
 * (`model:setPrice`, the directory shows them).
 */
import { LIMITS } from '../../signaling/protocol.ts';
import { formatAmount, parseAmount } from '../format.ts';

export const PROFILE_LIMITS = {
  stageNameMaxLength: 40,
  aboutMaxLength: 1000,
  maxLanguages: 5,
  maxTags: 8,
  tagMaxLength: 24,
  /** Highest private price per minute the form takes, LIVE (a typo guard; the contract has no cap). */
  maxPriceLive: 10_000,
} as const;

/** Languages a model can say they speak (ISO 639-1), with their names in English. */
export const LANGUAGES: Readonly<Record<string, string>> = {
  en: 'English', es: 'Spanish', fr: 'French', de: 'German', it: 'Italian', pt: 'Portuguese', nl: 'Dutch',
  pl: 'Polish', ro: 'Romanian', cs: 'Czech', ru: 'Russian', uk: 'Ukrainian', tr: 'Turkish', ja: 'Japanese',
  zh: 'Chinese', ko: 'Korean',
};

export interface StageProfile {
  stageName: string;
  about: string;
  /** Codes of LANGUAGES. */
  languages: string[];
  tags: string[];
}

/** What the form holds, as typed. */
export interface ProfileForm {
  stageName: string;
  about: string;
  languages: string[];
  /** Comma-separated. */
  tags: string;
  /** LIVE per minute, decimal. */
  price: string;
  minMinutes: string;
}

export interface ProfileChecked {
  profile: StageProfile;
  /** Base units. */
  pricePerMinute: bigint;
  minMinutes: number;
}

/** Field name -> what is wrong with it, in plain words. */
export type ProfileProblems = Partial<Record<keyof ProfileForm, string>>;

// Control characters and bidi overrides (the chat strips the same): they have no place in a name.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const TAG = /^[\p{L}\p{N}][\p{L}\p{N} _-]*$/u;

/** The form's values checked; `problems` is empty when every field is fine. */
export function checkProfile(form: ProfileForm): { ok: true; value: ProfileChecked } | { ok: false; problems: ProfileProblems } {
  const problems: ProfileProblems = {};
  const stageName = form.stageName.trim();
  if (stageName.length > PROFILE_LIMITS.stageNameMaxLength) problems.stageName = `Your stage name can have at most ${PROFILE_LIMITS.stageNameMaxLength} characters (it has ${stageName.length}).`;
  else if (UNSAFE.test(stageName) || /\n/.test(stageName)) problems.stageName = 'Your stage name cannot contain line breaks or invisible control characters.';
  const about = form.about.trim();
  if (about.length > PROFILE_LIMITS.aboutMaxLength) problems.about = `“About you” can have at most ${PROFILE_LIMITS.aboutMaxLength} characters (it has ${about.length}).`;
  else if (UNSAFE.test(about)) problems.about = '“About you” cannot contain invisible control characters.';
  const languages = [...new Set(form.languages)];
  if (languages.some((l) => !(l in LANGUAGES))) problems.languages = 'Choose languages from the list.';
  else if (languages.length > PROFILE_LIMITS.maxLanguages) problems.languages = `Choose at most ${PROFILE_LIMITS.maxLanguages} languages.`;
  const tags = [...new Set(form.tags.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean))];
  const badTag = tags.find((t) => t.length > PROFILE_LIMITS.tagMaxLength || !TAG.test(t));
  if (badTag !== undefined) problems.tags = `“${badTag.slice(0, 30)}” is not a tag: use letters, digits, spaces or dashes, at most ${PROFILE_LIMITS.tagMaxLength} characters each.`;
  else if (tags.length > PROFILE_LIMITS.maxTags) problems.tags = `Use at most ${PROFILE_LIMITS.maxTags} tags (you have ${tags.length}).`;
  const price = parseAmount(form.price);
  if (price === null) problems.price = 'Enter the price as a number of LIVE, like 2 or 1.5 (0 turns private shows off).';
  else if (price > parseAmount(String(PROFILE_LIMITS.maxPriceLive))!) problems.price = `The price can be at most ${PROFILE_LIMITS.maxPriceLive.toLocaleString('en-US')} LIVE per minute.`;
  const minMinutes = Number(form.minMinutes);
  if (!/^\s*\d+\s*$/.test(form.minMinutes) || !Number.isInteger(minMinutes) || minMinutes < 1 || minMinutes > LIMITS.privateMaxMinMinutes) {
    problems.minMinutes = `The minimum is a whole number of minutes from 1 to ${LIMITS.privateMaxMinMinutes}.`;
  }
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  return { ok: true, value: { profile: { stageName, about, languages, tags }, pricePerMinute: price!, minMinutes } };
}

/** The profile as `profile:set` stores it (strings only). */
export function profileToFields(p: StageProfile): Record<string, string> {
  return { stageName: p.stageName, about: p.about, languages: p.languages.join(','), tags: p.tags.join(',') };
}

/** What `profile:get` answered, read back (unknown fields are ignored, missing ones empty). */
export function profileFromFields(fields: Record<string, string>): StageProfile {
  const list = (s: string | undefined) => (s ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return {
    stageName: fields.stageName ?? '',
    about: fields.about ?? '',
    languages: list(fields.languages).filter((l) => l in LANGUAGES),
    tags: list(fields.tags),
  };
}

/** The form filled from a stored profile and the public price. */
export function formOf(p: StageProfile, pricePerMinute: bigint, minMinutes: number): ProfileForm {
  return {
    stageName: p.stageName, about: p.about, languages: p.languages, tags: p.tags.join(', '),
    price: formatAmount(pricePerMinute, 18).replace(/,/g, ''), minMinutes: String(minMinutes),
  };
}
