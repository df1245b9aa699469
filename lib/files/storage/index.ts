import { env } from "@/lib/env";
import { LocalStorage } from "./local";
import { S3Storage } from "./s3";
import type { ObjectStorage } from "./types";

export { LocalStorage, containedPath } from "./local";
export { S3Storage, type S3StorageOptions } from "./s3";
export { assertStorageKey, storageKey, StorageKeyError, StorageNotFoundError, type ObjectStorage, type StorageArea } from "./types";

const globalForStorage = globalThis as unknown as { __tenantguardStorage?: ObjectStorage };

/** FILE-3: the configured storage: S3-compatible when S3_BUCKET is set (lib/env checks the rest), else STORAGE_ROOT. */
export function objectStorage(): ObjectStorage {
  globalForStorage.__tenantguardStorage ??=
    env.S3_BUCKET && env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
      ? new S3Storage({
          bucket: env.S3_BUCKET,
          region: env.S3_REGION,
          endpoint: env.S3_ENDPOINT,
          accessKeyId: env.S3_ACCESS_KEY_ID,
          secretAccessKey: env.S3_SECRET_ACCESS_KEY,
          forcePathStyle: env.S3_FORCE_PATH_STYLE,
        })
      : new LocalStorage(env.STORAGE_ROOT);
  return globalForStorage.__tenantguardStorage;
}
