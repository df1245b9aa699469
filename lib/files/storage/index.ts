import { env } from "@/lib/env";
import { LocalStorage } from "./local";
import { S3Storage } from "./s3";
import type { ObjectStorage } from "./types";

export { LocalStorage, containedPath } from "./local";
export { S3Storage, type S3StorageOptions } from "./s3";
export { assertStorageKey, storageKey, StorageKeyError, StorageNotFoundError, type ObjectStorage, type StorageArea } from "./types";

const globalForStorage = globalThis as unknown as { __tenantguardStorage?: ObjectStorage };

/** Where files are kept: the backend and its settings, as lib/env configures them. */
export type StorageSettings =
  | { backend: "local"; root: string }
  | { backend: "s3"; bucket: string; region: string; endpoint?: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: boolean };

/**
 * FILE-3: the configured storage: S3-compatible when S3_BUCKET and its credentials are set (lib/env checks the rest),
 * else STORAGE_ROOT. The one place that makes this choice: objectStorage() stores there, lib/health/storage checks it.
 */
export function configuredStorageSettings(): StorageSettings {
  if (env.S3_BUCKET && env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY) {
    return {
      backend: "s3",
      bucket: env.S3_BUCKET,
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
    };
  }
  return { backend: "local", root: env.STORAGE_ROOT };
}

/** FILE-3: the configured storage (configuredStorageSettings), one instance per process. */
export function objectStorage(): ObjectStorage {
  if (!globalForStorage.__tenantguardStorage) {
    const settings = configuredStorageSettings();
    globalForStorage.__tenantguardStorage = settings.backend === "s3" ? new S3Storage(settings) : new LocalStorage(settings.root);
  }
  return globalForStorage.__tenantguardStorage;
}
