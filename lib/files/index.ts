/**
 * Files (FILE-1..4): the building blocks the upload pipeline composes. Server-only.
 */
import "server-only";

export { checkFileType, createTextValidator, extensionOf, FILE_KINDS, SNIFF_BYTES, UnsupportedFileTypeError, type FileKind, type TypeCheckInput, type TypeCheckResult, type TypeRefusalReason, type TextValidator } from "./type-check";
export { receiveUpload, type ReceivedFile } from "./receive";
export { sanitizeFileName, FileNameError, MAX_FILE_NAME_LENGTH } from "./names";
export { streamToSink, TooLargeError, formatBytes, type ByteSource, type StreamOptions, type StreamResult } from "./stream";
export { objectStorage, LocalStorage, S3Storage, containedPath, assertStorageKey, storageKey, StorageKeyError, StorageNotFoundError, type ObjectStorage, type StorageArea } from "./storage";
export { signDownloadToken, verifyDownloadToken, downloadHeaders, loadDownloadSecret, DownloadTokenError, DEFAULT_DOWNLOAD_TTL_SECONDS, type DownloadGrant, type DownloadTokenRefusal } from "./signed-url";
export { scanFile, scannerCheck, configuredScanner, clamdScanner, clamscanScanner, type Scanner, type ScanVerdict, type ScannerStatus } from "./scanner";
