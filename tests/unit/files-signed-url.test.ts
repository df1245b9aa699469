import { describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { DownloadTokenError, downloadHeaders, loadDownloadSecret, signDownloadToken, verifyDownloadToken } from "@/lib/files/signed-url";

// FILE-3: download tokens cannot be forged, stretched, moved to another organisation or document.

const secret = randomBytes(32);
const documentId = randomUUID();
const orgId = randomUUID();
const t0 = new Date("2026-12-01T10:00:00Z");
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DownloadTokenError);
  expect((error as DownloadTokenError).message).toBe("This download link is invalid or has expired.");
  return (error as DownloadTokenError).reason;
}

describe("signed download tokens", () => {
  it("a fresh token verifies for its organisation and document, and lasts five minutes by default", async () => {
    const { token, expiresAt } = await signDownloadToken({ documentId, orgId }, { now: t0, secret });
    expect(expiresAt).toEqual(at(300));
    expect(await verifyDownloadToken(token, { orgId, documentId }, { now: at(299), secret })).toEqual({ documentId, orgId, expiresAt: at(300) });
  });

  it("expired tokens are refused, at and after their expiry", async () => {
    const { token } = await signDownloadToken({ documentId, orgId }, { now: t0, secret, ttlSeconds: 60 });
    expect(await reason(verifyDownloadToken(token, { orgId }, { now: at(60), secret }))).toBe("expired");
    expect(await reason(verifyDownloadToken(token, { orgId }, { now: at(86_400), secret }))).toBe("expired");
  });

  it("a stretched expiry, another document or another organisation in the token breaks its MAC", async () => {
    const { token } = await signDownloadToken({ documentId, orgId }, { now: t0, secret });
    const [v, d, o, e, mac] = token.split(".");
    const forged = [
      [v, d, o, String(Number(e) + 3600), mac],
      [v, randomUUID(), o, e, mac],
      [v, d, randomUUID(), e, mac],
    ].map((p) => p.join("."));
    for (const f of forged) expect(await reason(verifyDownloadToken(f, {}, { now: t0, secret }))).toBe("tampered");
  });

  it("a token for another organisation or document than the caller's is refused", async () => {
    const { token } = await signDownloadToken({ documentId, orgId }, { now: t0, secret });
    expect(await reason(verifyDownloadToken(token, { orgId: randomUUID() }, { now: t0, secret }))).toBe("wrong_org");
    expect(await reason(verifyDownloadToken(token, { orgId, documentId: randomUUID() }, { now: t0, secret }))).toBe("wrong_document");
  });

  it("a token signed with another secret is refused", async () => {
    const { token } = await signDownloadToken({ documentId, orgId }, { now: t0, secret: randomBytes(32) });
    expect(await reason(verifyDownloadToken(token, { orgId }, { now: t0, secret }))).toBe("tampered");
  });

  it("every flipped MAC bit, a truncated or padded MAC, or a malformed token is refused", async () => {
    const { token } = await signDownloadToken({ documentId, orgId }, { now: t0, secret });
    const parts = token.split(".");
    const mac = Buffer.from(parts[4]!, "base64url");
    for (let bit = 0; bit < mac.byteLength * 8; bit += 7) {
      const flipped = Buffer.from(mac);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(await reason(verifyDownloadToken([...parts.slice(0, 4), flipped.toString("base64url")].join("."), {}, { now: t0, secret }))).toBe("tampered");
    }
    const truncated = [...parts.slice(0, 4), mac.subarray(0, 16).toString("base64url")].join(".");
    expect(await reason(verifyDownloadToken(truncated, {}, { now: t0, secret }))).toBe("malformed");
    expect(await reason(verifyDownloadToken(`${token}AA`, {}, { now: t0, secret }))).toBe("malformed");
    expect(await reason(verifyDownloadToken(parts.slice(0, 4).join(".") + ".", {}, { now: t0, secret }))).toBe("malformed");
    for (const bad of ["", "v1", "v2." + parts.slice(1).join("."), token.replace(parts[3]!, "-1"), "v1.a/b.c.1.x", "x".repeat(600)]) {
      expect(await reason(verifyDownloadToken(bad, {}, { now: t0, secret })), bad).toBe("malformed");
    }
  });

  it("lifetimes outside 1 second to 1 hour are refused at issue", async () => {
    await expect(signDownloadToken({ documentId, orgId }, { secret, ttlSeconds: 0 })).rejects.toThrow(/1 to 3600 seconds/);
    await expect(signDownloadToken({ documentId, orgId }, { secret, ttlSeconds: 86_400 })).rejects.toThrow(/1 to 3600 seconds/);
  });

  it("outside production, the secret is generated once and kept in a 0600 file", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "tg-url-secret-"));
    const file = path.join(dir, "nested", "file-url-secret.json");
    const [a, b] = await Promise.all([loadDownloadSecret(file), loadDownloadSecret(file)]);
    expect(a.equals(b)).toBe(true);
    expect(a.byteLength).toBeGreaterThanOrEqual(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await loadDownloadSecret(file)).equals(a)).toBe(true);
    expect(JSON.parse(await readFile(file, "utf8"))).toHaveProperty("secret");
    await rm(dir, { recursive: true, force: true });
  });
});

describe("download headers", () => {
  it("always an attachment with nosniff, the stored type, a CSP that runs nothing, never cached", () => {
    expect(downloadHeaders("application/pdf", "report.pdf")).toMatchObject({
      "Content-Type": "application/pdf",
      "Content-Disposition": `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": expect.stringMatching(/^default-src 'none'/),
      "Cache-Control": "private, no-store",
    });
  });

  it("encodes non-ASCII names per RFC 5987 with an ASCII fallback, and quotes nothing it should not", () => {
    const h = downloadHeaders("text/csv; charset=utf-8", `Zürich "Q3" (draft)*'; x=.csv`);
    expect(h["Content-Disposition"]).toBe(`attachment; filename="Zurich _Q3_ (draft)*'_ x=.csv"; filename*=UTF-8''Z%C3%BCrich%20%22Q3%22%20%28draft%29%2A%27%3B%20x%3D.csv`);
    expect(downloadHeaders("image/png", "项目.png")["Content-Disposition"]).toBe(`attachment; filename="__.png"; filename*=UTF-8''%E9%A1%B9%E7%9B%AE.png`);
  });

  it("header injection through the name or the type is impossible", () => {
    const h = downloadHeaders("application/pdf", "a\r\nSet-Cookie: x=1.pdf");
    expect(h["Content-Disposition"]).not.toMatch(/[\r\n]/);
    expect(() => downloadHeaders("text/html\r\nX-Evil: 1", "a.pdf")).toThrow();
    expect(() => downloadHeaders("", "a.pdf")).toThrow();
  });
});
