import { sanitizeFileName } from "./names";
import { streamToSink, type ByteSource } from "./stream";
import { checkFileType, createTextValidator, type FileKind, type TextValidator, type TypeCheckResult } from "./type-check";
import type { ObjectStorage } from "./storage/types";

export interface ReceivedFile {
  /** The display name (sanitised; never a path). */
  name: string;
  kind: FileKind;
  /** The type to store and serve it with. */
  mime: string;
  /** FILE-4: SHA-256 of the content, lowercase hex. */
  sha256: string;
  bytes: number;
  /** Where it now lies in quarantine. */
  key: string;
}

/**
 * FILE-1..4 composed for one upload: the name is checked, the bytes stream into quarantine under `key` while they
 * are hashed and counted, the size limit holds while streaming, the type checks run on the first 64 KB before
 * anything is written, text is validated chunk by chunk to its end. On any refusal or failure the quarantine object
 * is removed, so nothing stays behind; the caller records the document (pending_scan) and enqueues its scan.
 * Throws FileNameError (422), TooLargeError (413), UnsupportedFileTypeError (415) or the storage's error.
 */
export async function receiveUpload(input: {
  source: ByteSource;
  declaredType: string;
  name: unknown;
  maxBytes: number;
  storage: ObjectStorage;
  /** A generated quarantine key: storageKey("quarantine", orgId, documentId). */
  key: string;
}): Promise<ReceivedFile> {
  const name = sanitizeFileName(input.name);
  // Set by the head check; chunks before it decides are held (at most the head) so text is validated from byte one.
  const state: { type: TypeCheckResult | null; text: TextValidator | null; early: Uint8Array[] } = { type: null, text: null, early: [] };
  try {
    const result = await streamToSink(input.source, (body) => input.storage.put(input.key, body, { contentType: "application/octet-stream" }), {
      maxBytes: input.maxBytes,
      onHead: async (head, complete) => {
        state.type = await checkFileType({ declaredType: input.declaredType, name, head, complete });
        if (state.type.kind === "text" || state.type.kind === "csv") {
          state.text = createTextValidator();
          for (const chunk of state.early) state.text.update(chunk);
        }
        state.early = [];
      },
      onChunk: (chunk) => (state.type === null ? void state.early.push(chunk) : state.text?.update(chunk)),
    });
    state.text?.end();
    if (!state.type) throw new Error("The type check did not run.");
    return { name, kind: state.type.kind, mime: state.type.mime, sha256: result.sha256, bytes: result.bytes, key: input.key };
  } catch (error) {
    // Nothing stays in quarantine after a refusal or a failure.
    await input.storage.delete(input.key).catch(() => undefined);
    throw error;
  }
}
