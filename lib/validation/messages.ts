import type { z } from "zod";

/**
 * VAL-1: the words a person reads when a field is refused and its schema names no message of its own. Passed as the
 * per-parse error map (`schema.safeParse(input, { error: plainIssueMessage })`), so a schema's own message always
 * wins and zod's developer wording ("Too big: expected string to have <=1024 characters") never reaches a form.
 */
const count = (n: number | bigint) => Number(n).toLocaleString("en-GB");
const plural = (n: number | bigint, word: string) => `${count(n)} ${word}${Number(n) === 1 ? "" : "s"}`;

const FORMAT: Record<string, string> = {
  email: "Enter a valid email address.",
  url: "Enter a full web address, starting with https://.",
  uuid: "This is not a valid identifier.",
  date: "Enter a date.",
  datetime: "Enter a date and time.",
  regex: "This value is not in the expected format.",
};

export function plainIssueMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case "too_big": {
      const max = issue.maximum as number | bigint;
      if (issue.origin === "string") return `Use at most ${plural(max, "character")}.`;
      if (issue.origin === "array" || issue.origin === "set") return `Choose at most ${count(max)}.`;
      if (issue.origin === "file") return `The file can be at most ${plural(max, "byte")}.`;
      return issue.inclusive === false ? `Enter a number below ${count(max)}.` : `Enter ${count(max)} or less.`;
    }
    case "too_small": {
      const min = issue.minimum as number | bigint;
      if (issue.origin === "string") return Number(min) <= 1 ? "This field is required." : `Use at least ${plural(min, "character")}.`;
      if (issue.origin === "array" || issue.origin === "set") return Number(min) <= 1 ? "Choose at least one." : `Choose at least ${count(min)}.`;
      return issue.inclusive === false ? `Enter a number above ${count(min)}.` : `Enter ${count(min)} or more.`;
    }
    case "invalid_type":
      if (issue.input === undefined || issue.input === null || issue.input === "") return "This field is required.";
      if (issue.expected === "number" || issue.expected === "int") return "Enter a number.";
      if (issue.expected === "date") return "Enter a date.";
      return "This value is not accepted here.";
    case "invalid_format":
      return FORMAT[issue.format] ?? "This value is not in the expected format.";
    case "invalid_value":
      return "Choose one of the options offered.";
    case "not_multiple_of":
      return `Enter a multiple of ${count(issue.divisor as number)}.`;
    case "unrecognized_keys":
      return "The form sent a field it does not have.";
    default:
      return "This value is not accepted here.";
  }
}
