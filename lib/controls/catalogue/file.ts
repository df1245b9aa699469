import { evidence, family } from "../types";

const TYPES = "tests/unit/files-type-check.test.ts";
const NAMES = "tests/unit/files-names.test.ts";
const STREAM = "tests/unit/files-stream.test.ts";
const STORAGE = "tests/integration/files-storage.test.ts";
const URLS = "tests/unit/files-signed-url.test.ts";
const CLAMD = "tests/integration/files-scanner-clamd.test.ts";
const CLAMSCAN = "tests/integration/files-scanner-clamscan.test.ts";
const RECEIVE = "tests/integration/files-receive.test.ts";
const PIPELINE = "tests/integration/documents-pipeline.test.ts";

export const FILE = family("FILE", [
  {
    id: "FILE-1",
    title: "Size limits and sniffed types",
    description:
      "Uploads are limited per file and per organisation, and allowed only for listed types (PDF, PNG, JPEG, WebP, plain text, CSV, DOCX, XLSX): the declared MIME type, the extension and the type sniffed from the bytes must agree, and a mismatch is refused with a message naming what was found. Text has no magic bytes, so it must be valid UTF-8 without control characters and must not begin as markup; SVG is refused outright, and a file of any kind whose first 64 KB hold page markup (a PDF/HTML polyglot) is refused. The size limit is enforced while the file streams in. File names are display names only, refused when they hold path, control, bidi or device-name parts. Client-provided types and names are never trusted.",
    status: "implemented",
    implementation: [
      "lib/files/type-check.ts",
      "lib/files/names.ts",
      "lib/files/stream.ts",
      "lib/files/receive.ts",
      "lib/documents/pipeline.ts",
      "lib/documents/index.ts",
      "app/api/v1/projects/[id]/documents/route.ts",
      "app/api/documents/upload/route.ts",
      "components/documents/documents-panel.tsx",
      "supabase/migrations/20261201300000_documents_pipeline.sql",
    ],
    evidence: [
      evidence("tests/integration/proxy.test.ts", "an upload may declare up to MAX_UPLOAD_BYTES; every other route at most 1 MiB"),
      evidence("tests/integration/documents-received-length.test.ts", "a body that ends before its Content-Length is refused and nothing is kept in quarantine"),
      evidence(TYPES, "a PNG named .pdf (declared application/pdf)"),
      evidence(TYPES, "HTML declared as image/png"),
      evidence(TYPES, "a PDF/HTML polyglot"),
      evidence(TYPES, "SVG, by type, by name or by content"),
      evidence(TYPES, "a ZIP renamed .docx that is not OOXML"),
      evidence(TYPES, "an empty file"),
      evidence(NAMES, "refuses path traversal and path separators"),
      evidence(STREAM, "the size cap holds while streaming"),
      evidence(STREAM, "a refusal from the head check aborts before the sink sees a byte"),
      evidence(RECEIVE, "is refused and nothing stays in quarantine"),
      evidence(PIPELINE, "mislabelled, HTML as image, empty, oversized and path-like names are refused with a clear problem; no row, no object"),
      evidence(PIPELINE, "the org's storage quota is enforced in the database: 413 naming the limit, nothing stored"),
      evidence("tests/integration/documents-dashboard.test.ts", "a member's upload lands pending on the project page; refusals are problem+json"),
    ],
    limitations: [
      "Uploads pass Next.js's proxy, which buffers each body in memory up to `proxyClientMaxBodySize` (set to MAX_UPLOAD_BYTES): the route streams to quarantine, but the process holds up to one upload's bytes per request on the way. Streaming end to end needs the upload routes outside the proxy (#13).",
    ],
  },
  {
    id: "FILE-2",
    title: "Quarantine and virus scanning",
    description:
      "Uploads are held in quarantine until ClamAV has scanned them, then moved to storage or removed. Scanning fails closed: a timeout, a broken connection, an answer the scanner should not give, an answer before the whole file was sent, or a file larger than the scanner's stream limit counts as a failed scan to retry, never as clean, and nothing is downloadable until its scan has passed. With scanning off or no scanner configured, documents stay pending, and `/health/status` and the live checks say so. A document the scanner never decided (its job ran with no scanner, died after its last attempt, or is gone) gets its scan job back from a scheduled sweep once a scanner is configured, and the database never holds two live scan jobs for one document.",
    status: "implemented",
    implementation: [
      "lib/files/scanner/clamd.ts",
      "lib/files/scanner/clamscan.ts",
      "lib/files/scanner/index.ts",
      "lib/health/index.ts",
      "lib/documents/scan.ts",
      "lib/documents/sweep.ts",
      "lib/jobs/schedules.ts",
      "lib/controls/checks/documents.ts",
      "supabase/migrations/20261202030100_documents_scan_sweep.sql",
    ],
    evidence: [
      evidence("tests/integration/documents-received-length.test.ts", "the document scan job is registered, so `npm run worker` and the in-process worker scan uploads"),
      evidence("tests/integration/documents-scan-sweep.test.ts", "a document whose scan job was deleted, or is dead, is picked up by the sweep and ends scanned"),
      evidence("tests/integration/documents-scan-sweep.test.ts", "a document with a live scan job is not enqueued twice, by the sweep or a re-scan; the database refuses a second live job"),
      evidence("tests/integration/documents-scan-sweep.test.ts", "with no scanner configured the sweep does nothing"),
      evidence("tests/integration/jobs-schedules.test.ts", "a due task runs exactly once when two workers look for it at the same time"),
      evidence("tests/integration/jobs-schedules.test.ts", "the in-process worker runs the product's scheduled tasks beside its jobs"),
      evidence("tests/integration/health-storage-scanner.test.ts", "no scanner configured: /health/status says off and why"),
      evidence("tests/integration/controls-checks-documents.test.ts", "pending-scans fails for a document waiting more than an hour while a scanner is configured"),
      evidence("tests/integration/graphql-documents.test.ts", "every document status reads as the REST API names it"),
      evidence(CLAMD, "EICAR is infected, with the signature's name"),
      evidence(CLAMD, "a clean file is clean, sent in many small frames"),
      evidence(CLAMD, "a file over the server's StreamMaxLength is scan_failed"),
      evidence(CLAMD, "a server answering garbage"),
      evidence(CLAMD, "a server that never answers (timeout)"),
      evidence(CLAMD, "clamd stopped mid-scan"),
      evidence(CLAMSCAN, "EICAR is infected (exit 1), with the signature's name"),
      evidence(CLAMSCAN, "a missing binary is scan_failed"),
      evidence(RECEIVE, "EICAR passes the type checks as text, but its scan says infected"),
      evidence("tests/integration/files-scanner-health.test.ts", "a configured clamd that answers is ok and required"),
      evidence(PIPELINE, "EICAR is recorded infected with its signature, deleted from quarantine, and never downloadable"),
      evidence(PIPELINE, "a clean file is pending in quarantine, scanned clean, promoted, and downloadable byte for byte with safe headers"),
      evidence(PIPELINE, "with the scanner stopped the document stays blocked (scan_failed) and the job is retried"),
      evidence(PIPELINE, "a worker that dies mid-job (its claim never completes) loses the job at the lease's end; another worker scans it"),
      evidence(PIPELINE, "with no scanner configured the scan job completes and the document stays pending, never served"),
    ],
    limitations: [
      "A remote clamd's own MaxFileSize/MaxScanSize must be at least its StreamMaxLength (with AlertExceedsMax), or it passes the part beyond them unscanned; the README says so, the client cannot check it.",
    ],
  },
  {
    id: "FILE-3",
    title: "Contained storage and signed downloads",
    description:
      "Files are stored in object storage (Supabase Storage or another S3-compatible service) or a local directory under generated keys, with a containment check on every path (no `..`, absolute paths or NUL; directories resolved through symlinks must stay inside the root; files opened without following links). Downloads go only through short-lived signed URLs (HMAC-SHA256 over document, organisation and expiry, five minutes by default, verified in constant time), as attachments with `nosniff`, the stored type, a CSP of `default-src 'none'` and no caching; the download route is rate limited per client address and per organisation. `/health/status` and a live check say whether the storage answers (the bucket exists and accepts the credentials, or the directory is usable).",
    status: "implemented",
    implementation: [
      "lib/files/storage/local.ts",
      "lib/files/storage/s3.ts",
      "lib/files/storage/types.ts",
      "lib/files/signed-url.ts",
      "lib/documents/pipeline.ts",
      "app/api/v1/documents/[id]/download-urls/route.ts",
      "app/api/documents/download/route.ts",
      "lib/documents/download.ts",
      "lib/health/storage.ts",
    ],
    evidence: [
      evidence("tests/integration/proxy.test.ts", "a signed download link works without a cookie; other cookie routes still answer 401"),
      evidence("tests/integration/documents-download-limits.test.ts", "one client address gets the download class's budget, then 429 problem+json with Retry-After"),
      evidence("tests/integration/documents-download-limits.test.ts", "an org's verified tokens share the downloadOrg budget across addresses"),
      evidence("tests/integration/health-storage-scanner.test.ts", "S3: ok while the bucket answers a HeadBucket; down once the bucket is gone"),
      evidence("tests/integration/controls-checks-documents.test.ts", "file-storage passes for a usable directory and a live bucket, fails for an unusable directory, a deleted bucket or a stopped server"),
      evidence(STORAGE, "refuses keys that are not generated storage keys"),
      evidence(STORAGE, "a symlinked directory inside the root cannot carry a write or a read outside it"),
      evidence(STORAGE, "promotes a quarantined object to files"),
      evidence(URLS, "expired tokens are refused, at and after their expiry"),
      evidence(URLS, "a stretched expiry, another document or another organisation in the token breaks its MAC"),
      evidence(URLS, "a token for another organisation or document than the caller's is refused"),
      evidence(URLS, "every flipped MAC bit, a truncated or padded MAC"),
      evidence(URLS, "always an attachment with nosniff"),
      evidence(PIPELINE, "expired, tampered, another org's and unknown tokens are the same 404; another org's key cannot issue one"),
      evidence(PIPELINE, "works the same on S3-compatible storage"),
    ],
  },
  {
    id: "FILE-4",
    title: "Duplicate detection by content hash",
    description:
      "Each document's SHA-256 content hash is computed while it streams in; the same content uploaded twice within an organisation is reported as a duplicate of the existing document, and nothing about other organisations' documents is revealed.",
    status: "implemented",
    implementation: ["lib/files/stream.ts", "lib/documents/pipeline.ts", "supabase/migrations/20261201300000_documents_pipeline.sql"],
    evidence: [
      evidence(STREAM, "computes the SHA-256, the size and the head of what it passes on"),
      evidence(PIPELINE, "the same bytes twice in one org answer the existing document as a duplicate and store no second object; another org gets its own"),
    ],
  },
]);
