import { family } from "../types";

export const FILE = family("FILE", [
  {
    id: "FILE-1",
    title: "Size limits and sniffed types",
    description:
      "Uploads are limited per file and per organisation, and allowed only for listed types: the declared MIME type, the extension and the type sniffed from the bytes must agree, and a mismatch is refused with a message naming what was found. Client-provided types and names are never trusted.",
    status: "planned",
    issue: 13,
    implementation: [],
    evidence: [],
  },
  {
    id: "FILE-2",
    title: "Quarantine and virus scanning",
    description:
      "Uploads are held in quarantine until ClamAV has scanned them, then moved to storage or removed. Scanning fails closed: a timeout, a broken connection or an answer the scanner should not give counts as a failed scan to retry, never as clean, and nothing is downloadable until its scan has passed.",
    status: "planned",
    issue: 13,
    implementation: [],
    evidence: [],
  },
  {
    id: "FILE-3",
    title: "Contained storage and signed downloads",
    description:
      "Files are stored in object storage (Supabase Storage or another S3-compatible service) or a local directory with a containment check on every path. Downloads go only through short-lived signed URLs, as attachments with `nosniff`.",
    status: "planned",
    issue: 13,
    implementation: [],
    evidence: [],
  },
  {
    id: "FILE-4",
    title: "Duplicate detection by content hash",
    description:
      "Each document's SHA-256 content hash is computed while it streams in; the same content uploaded twice within an organisation is reported as a duplicate of the existing document, and nothing about other organisations' documents is revealed.",
    status: "planned",
    issue: 13,
    implementation: [],
    evidence: [],
  },
]);
