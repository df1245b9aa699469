import { constants } from "node:fs";
import { lstat, mkdir, open, realpath, rename, rm } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { assertStorageKey, StorageKeyError, StorageNotFoundError, type ObjectStorage } from "./types";

/**
 * FILE-3: a resolved path that stays inside `root`. Lexical first (no `..`, no absolute path, no NUL), so a key
 * that escapes is refused even before the key format is checked.
 */
export function containedPath(root: string, key: string): string {
  if (key.includes("\0") || path.isAbsolute(key) || key.split(/[/\\]/).some((s) => s === ".." || s === ".")) {
    throw new StorageKeyError("Storage path escapes the storage root.");
  }
  const base = path.resolve(root);
  const target = path.resolve(base, key);
  if (!target.startsWith(base + path.sep)) throw new StorageKeyError("Storage path escapes the storage root.");
  return target;
}

/**
 * A local directory: `<root>/quarantine/...` and `<root>/files/...`. Besides the lexical check, every directory on
 * the way is resolved through symlinks and must still lie inside the root's real path, and files are opened with
 * O_NOFOLLOW, so a symlink planted in the tree cannot redirect a read or a write outside it.
 */
export class LocalStorage implements ObjectStorage {
  readonly backend = "local" as const;
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private async realRoot(): Promise<string> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    return realpath(this.root);
  }

  /** The key's path, with its directory created (for writes) and checked, after symlinks, to be inside the root. */
  private async resolve(key: string, createDirectory: boolean): Promise<string> {
    assertStorageKey(key);
    const target = containedPath(this.root, key);
    const realRoot = await this.realRoot();
    const directory = path.dirname(target);
    if (createDirectory) await mkdir(directory, { recursive: true, mode: 0o700 });
    let realDirectory: string;
    try {
      realDirectory = await realpath(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return target;
      throw error;
    }
    if (realDirectory !== realRoot && !realDirectory.startsWith(realRoot + path.sep)) {
      throw new StorageKeyError("Storage path escapes the storage root.");
    }
    return path.join(realDirectory, path.basename(target));
  }

  async put(key: string, body: Readable | AsyncIterable<Uint8Array>, _options?: { contentType: string }): Promise<void> {
    const target = await this.resolve(key, true);
    // Written aside, then renamed: a reader never sees a partial file, and a failed write leaves nothing behind.
    const temporary = `${target}.${randomBytes(8).toString("hex")}.part`;
    // Opened before streaming starts, so the removal below cannot race a lazy open and leave the file behind.
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const input = body instanceof Readable ? body : Readable.from(body);
      await pipeline(input, handle.createWriteStream());
      await rename(temporary, target);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    const target = await this.resolve(key, false);
    try {
      const handle = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW);
      return handle.createReadStream({ autoClose: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") throw new StorageNotFoundError(key);
      if (code === "ELOOP") throw new StorageKeyError("Storage path escapes the storage root.");
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    const target = await this.resolve(key, false);
    try {
      return (await lstat(target)).isFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    // rm on a symlink removes the link, never what it points at.
    await rm(await this.resolve(key, false), { force: true });
  }

  async promote(from: string, to: string): Promise<void> {
    const source = await this.resolve(from, false);
    const destination = await this.resolve(to, true);
    try {
      if (!(await lstat(source)).isFile()) throw new StorageKeyError("Storage path is not a file.");
      await rename(source, destination);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new StorageNotFoundError(from);
      throw error;
    }
  }
}
