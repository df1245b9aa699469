import { z } from "zod";

export const INVISIBLE_CHARACTERS_MESSAGE = "Names cannot contain invisible or text-direction characters.";

/**
 * VAL-1: characters that change how a name reads without being seen. \p{Cc} and \p{Cf} include every bidi control
 * (embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069, marks U+200E, U+200F, U+061C), the zero-width
 * characters (U+200B-U+200D, U+2060, U+FEFF), soft hyphens and tag characters; U+2028/U+2029 break lines.
 * U+202E alone makes "gnp.exe" display as "exe.png".
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

// The one exception: a zero-width joiner between two pictographs is part of an emoji (e.g. a family, a rainbow flag).
const EMOJI_JOINER = /(?<=\p{Extended_Pictographic}\uFE0F?)\u200D(?=\p{Extended_Pictographic})/gu;

export function hasInvisibleCharacters(value: string): boolean {
  return INVISIBLE.test(value.replace(EMOJI_JOINER, ""));
}

/**
 * VAL-1: every user-visible name (projects, API keys, documents, ...): refused when it holds invisible or
 * text-direction characters (checked before trimming, so none is hidden at either end), trimmed, NFC-normalised
 * (one spelling per name), well-formed Unicode, 1 to `max` characters.
 */
export function displayName(options: { max: number; empty: string }) {
  return z
    .string({ error: options.empty })
    .refine((v) => v.isWellFormed(), "The name is not valid Unicode.")
    .refine((v) => !hasInvisibleCharacters(v), INVISIBLE_CHARACTERS_MESSAGE)
    .trim()
    .normalize("NFC")
    .min(1, options.empty)
    .max(options.max, `Use at most ${options.max} characters.`);
}
