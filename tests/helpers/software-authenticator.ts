import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";

/**
 * A WebAuthn authenticator in software (P-256, ES256, attestation "none"), for tests of the passkey verification:
 * it builds the exact bytes a browser's authenticator returns. `clone()` copies the key and the counter, as an
 * extracted credential would be; each authenticator then counts on its own.
 */
const b64url = (b: Uint8Array | Buffer) => Buffer.from(b).toString("base64url");
const sha256 = (b: Uint8Array | Buffer | string) => createHash("sha256").update(b).digest();

export class SoftwareAuthenticator {
  readonly credentialId: Buffer;
  private readonly privateKey: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  counter: number;

  constructor(state?: { credentialId: Buffer; privateKey: KeyObject; publicJwk: { x: string; y: string }; counter: number }) {
    if (state) {
      ({ credentialId: this.credentialId, privateKey: this.privateKey, publicJwk: this.publicJwk, counter: this.counter } = state);
      return;
    }
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" }) as { x: string; y: string };
    this.credentialId = randomBytes(32);
    this.privateKey = privateKey;
    this.publicJwk = { x: jwk.x, y: jwk.y };
    this.counter = 0;
  }

  clone(): SoftwareAuthenticator {
    return new SoftwareAuthenticator({ credentialId: this.credentialId, privateKey: this.privateKey, publicJwk: this.publicJwk, counter: this.counter });
  }

  private authData(rpId: string, flags: number, attested?: Buffer): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), counter, ...(attested ? [attested] : [])]);
  }

  register(options: { challenge: string; rpId: string; origin: string }): RegistrationResponseJSON {
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(this.publicJwk.x, "base64url")],
      [-3, Buffer.from(this.publicJwk.y, "base64url")],
    ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, Buffer.from(isoCBOR.encode(cose))]);
    const authData = this.authData(options.rpId, 0x45, attested);
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]) as never);
    const clientDataJSON = Buffer.from(JSON.stringify({ type: "webauthn.create", challenge: options.challenge, origin: options.origin, crossOrigin: false }));
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: "public-key",
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ["internal"] },
      clientExtensionResults: {},
    };
  }

  /** An assertion for the challenge; the counter moves forward by one first (what a real authenticator does). */
  authenticate(options: { challenge: string; rpId: string; origin: string }): AuthenticationResponseJSON {
    this.counter += 1;
    const authData = this.authData(options.rpId, 0x05);
    const clientDataJSON = Buffer.from(JSON.stringify({ type: "webauthn.get", challenge: options.challenge, origin: options.origin, crossOrigin: false }));
    const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: "public-key",
      response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authData), signature: b64url(signature) },
      clientExtensionResults: {},
    };
  }
}
