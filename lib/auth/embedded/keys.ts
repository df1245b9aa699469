import "server-only";
import { mkdir, readFile, rm, writeFile, link } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, exportPKCS8, generateKeyPair, importPKCS8, type JSONWebKeySet, type JWTVerifyGetKey, type CryptoKey } from "jose";
import { env } from "@/lib/env";

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwks: JSONWebKeySet;
  verificationKey: JWTVerifyGetKey;
}

/**
 * IDN-2: the embedded provider's RS256 key. IDP_PRIVATE_KEY (PKCS#8 PEM) when set, so every app instance
 * signs with the same key; otherwise one generated on first use and kept in IDP_KEY_FILE (git-ignored, 0600).
 */
async function loadPem(): Promise<string> {
  if (env.IDP_PRIVATE_KEY) return env.IDP_PRIVATE_KEY.replace(/\\n/g, "\n");
  const file = path.resolve(env.IDP_KEY_FILE);
  try {
    return (JSON.parse(await readFile(file, "utf8")) as { privateKeyPem: string }).privateKeyPem;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const pem = await exportPKCS8(privateKey);
  await mkdir(path.dirname(file), { recursive: true });
  // Written aside and linked into place: concurrent first starts agree on one key, none reads a partial file.
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(tmp, JSON.stringify({ privateKeyPem: pem }), { mode: 0o600 });
  try {
    await link(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    await rm(tmp, { force: true });
  }
  return (JSON.parse(await readFile(file, "utf8")) as { privateKeyPem: string }).privateKeyPem;
}

async function load(): Promise<SigningKey> {
  const pem = await loadPem();
  const privateKey = await importPKCS8(pem, "RS256", { extractable: true });
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks: JSONWebKeySet = { keys: [{ ...publicJwk, kid, alg: "RS256", use: "sig" }] };
  return { kid, privateKey, jwks, verificationKey: createLocalJWKSet(jwks) };
}

const globalForKeys = globalThis as unknown as { __tenantguardIdpKey?: Promise<SigningKey> };

export function signingKey(): Promise<SigningKey> {
  globalForKeys.__tenantguardIdpKey ??= load();
  return globalForKeys.__tenantguardIdpKey;
}
