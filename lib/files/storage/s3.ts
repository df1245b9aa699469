import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import { assertStorageKey, StorageNotFoundError, type ObjectStorage } from "./types";

export interface S3StorageOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle?: boolean;
  /** Multipart part size: the most the upload holds in memory at once (S3's minimum is 5 MiB). */
  partBytes?: number;
}

const MIN_PART = 5 * 1024 * 1024;

function notFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NoSuchKey" || e?.name === "NotFound" || e?.$metadata?.httpStatusCode === 404;
}

/**
 * FILE-3: S3-compatible object storage (Supabase Storage's S3 endpoint, AWS S3, R2, MinIO). Bodies stream in parts
 * of `partBytes` (multipart upload), so an upload of unknown length never sits in memory whole; a failed upload is
 * aborted so no parts are left behind.
 */
export class S3Storage implements ObjectStorage {
  readonly backend = "s3" as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly partBytes: number;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.partBytes = Math.max(options.partBytes ?? 8 * 1024 * 1024, MIN_PART);
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? true,
      credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
      // Checksums only where S3 requires them: several S3-compatible services reject the SDK's newer defaults.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 3,
    });
  }

  async put(key: string, body: Readable | AsyncIterable<Uint8Array>, options: { contentType: string }): Promise<void> {
    assertStorageKey(key);
    let uploadId: string | undefined;
    const parts: { ETag: string; PartNumber: number }[] = [];
    let buffered: Buffer[] = [];
    let size = 0;
    const flushPart = async () => {
      const part = Buffer.concat(buffered, size);
      buffered = [];
      size = 0;
      if (!uploadId) {
        const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: options.contentType }));
        uploadId = created.UploadId;
        if (!uploadId) throw new Error("The storage service did not start the upload.");
      }
      const PartNumber = parts.length + 1;
      const uploaded = await this.client.send(
        new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber, Body: part, ContentLength: part.byteLength }),
      );
      parts.push({ ETag: uploaded.ETag ?? "", PartNumber });
    };
    try {
      for await (const raw of body) {
        const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array);
        buffered.push(chunk);
        size += chunk.byteLength;
        if (size >= this.partBytes) await flushPart();
      }
      if (!uploadId) {
        // Small enough for one request.
        const whole = Buffer.concat(buffered, size);
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: whole, ContentLength: whole.byteLength, ContentType: options.contentType }),
        );
        return;
      }
      if (size > 0) await flushPart();
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      if (uploadId) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      }
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    assertStorageKey(key);
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = result.Body;
      if (body instanceof Readable) return body;
      if (body && "transformToWebStream" in body) return Readable.fromWeb(body.transformToWebStream() as import("node:stream/web").ReadableStream);
      throw new Error("The storage service returned no body.");
    } catch (error) {
      if (notFound(error)) throw new StorageNotFoundError(key);
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    assertStorageKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (notFound(error)) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertStorageKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async promote(from: string, to: string): Promise<void> {
    assertStorageKey(from);
    assertStorageKey(to);
    // S3 has no rename: copy, then delete the quarantined object. A crash in between leaves both, never neither.
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: `${this.bucket}/${from}` }));
    } catch (error) {
      if (notFound(error)) throw new StorageNotFoundError(from);
      throw error;
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: from }));
  }

  /** Closes the client's connections (tests, shutdown). */
  destroy(): void {
    this.client.destroy();
  }
}
