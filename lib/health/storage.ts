import "server-only";
import { constants } from "node:fs";
import { access, mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { configuredStorageSettings, type StorageSettings } from "@/lib/files/storage";
import { logger } from "@/lib/observability/logger";

/**
 * OBS-4 / FILE-3: whether the configured file storage answers. For S3-compatible storage a HeadBucket on the
 * configured bucket (read-only, no object touched): a missing bucket, refused credentials or an unreachable endpoint
 * are "down". For local storage, STORAGE_ROOT (created as the storage itself would) must be a directory this process
 * can read and write. The detail is public: it never names the bucket, the endpoint, the path or a credential; the
 * reason goes to the log.
 */
export interface StorageStatus {
  backend: "local" | "s3";
  status: "ok" | "down";
  detail: string;
}

const TIMEOUT_MS = 5_000;

export { configuredStorageSettings, type StorageSettings };

// One probe client per configuration (the configured one, in practice), not one per check.
const clients = new Map<string, S3Client>();
function s3Client(settings: Extract<StorageSettings, { backend: "s3" }>): S3Client {
  const id = JSON.stringify([settings.region, settings.endpoint ?? null, settings.accessKeyId, settings.secretAccessKey, settings.forcePathStyle]);
  let client = clients.get(id);
  if (!client) {
    client = new S3Client({
      region: settings.region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
      maxAttempts: 1,
    });
    if (clients.size >= 4) clients.clear();
    clients.set(id, client);
  }
  return client;
}

async function checkS3(settings: Extract<StorageSettings, { backend: "s3" }>): Promise<StorageStatus> {
  try {
    await s3Client(settings).send(new HeadBucketCommand({ Bucket: settings.bucket }), { abortSignal: AbortSignal.timeout(TIMEOUT_MS) });
    return { backend: "s3", status: "ok", detail: "S3-compatible bucket reachable." };
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    const code = e?.$metadata?.httpStatusCode;
    logger.warn({ scope: "health", backend: "s3", error: e?.name ?? "error", httpStatus: code }, "storage check: the bucket did not answer");
    const detail =
      code === 404 || e?.name === "NotFound" || e?.name === "NoSuchBucket"
        ? "The configured bucket does not exist."
        : code === 403 || code === 401
          ? "The storage service refused the configured credentials."
          : "The storage service did not answer.";
    return { backend: "s3", status: "down", detail };
  }
}

async function checkLocal(settings: Extract<StorageSettings, { backend: "local" }>): Promise<StorageStatus> {
  const root = path.resolve(settings.root);
  try {
    await mkdir(root, { recursive: true, mode: 0o700 });
    if (!(await stat(root)).isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    await access(root, constants.R_OK | constants.W_OK | constants.X_OK);
    return { backend: "local", status: "ok", detail: "Local storage directory readable and writable." };
  } catch (error) {
    logger.warn({ scope: "health", backend: "local", code: (error as NodeJS.ErrnoException).code ?? "error" }, "storage check: the storage directory is not usable");
    return { backend: "local", status: "down", detail: "The local storage directory cannot be read or written." };
  }
}

export function storageCheck(settings: StorageSettings = configuredStorageSettings()): Promise<StorageStatus> {
  return settings.backend === "s3" ? checkS3(settings) : checkLocal(settings);
}
