import { displayName } from "@/lib/validation/text";
import { ValidationError } from "@/lib/errors";

/**
 * FILE-1 / VAL-1: an uploaded file's name is for display only. Storage keys are generated ids, so a name never
 * becomes a path; still, a name that reads as a path, a device or a hidden file is refused rather than shown.
 */

export const MAX_FILE_NAME_LENGTH = 200;

const nameSchema = displayName({ max: MAX_FILE_NAME_LENGTH, empty: "The file needs a name." });

// Windows device names, with or without an extension ("con.txt" is the console there too).
const RESERVED = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(?:\..*)?$/i;

export class FileNameError extends ValidationError {
  constructor(message: string) {
    super({ name: [message] }, message);
    this.name = "FileNameError";
  }
}

/**
 * Returns the display name (trimmed, NFC) or throws FileNameError: invisible or bidi characters (VAL-1), path
 * separators, `.`/`..`, names starting with a dot (hidden files) or ending in a dot or space (Windows drops them,
 * so the name would change on download), and reserved device names.
 */
export function sanitizeFileName(raw: unknown): string {
  const parsed = nameSchema.safeParse(raw);
  if (!parsed.success) throw new FileNameError(parsed.error.issues[0]?.message ?? "The file name is not valid.");
  const name = parsed.data;
  if (/[/\\]/.test(name)) throw new FileNameError("File names cannot contain / or \\ (send the file's own name, not a path).");
  if (/^\.+$/.test(name)) throw new FileNameError("That is not a file name.");
  if (name.startsWith(".")) throw new FileNameError("File names cannot start with a dot.");
  if (/[. ]$/.test(name)) throw new FileNameError("File names cannot end with a dot or a space.");
  if (RESERVED.test(name)) throw new FileNameError("That file name is reserved by Windows (CON, NUL, COM1, ...): rename the file.");
  return name;
}
