import { evidence, family } from "../types";

const VERIFY = "tests/unit/verify-session-token.test.ts";
const CLERK = "tests/unit/clerk-offline-verification.test.ts";
const SIGN_IN = "tests/integration/embedded-sign-in.test.ts";
const RESOLVE = "tests/integration/session-resolution.test.ts";
const CLERK_SYNC = "tests/integration/webhooks-clerk-sync.test.ts";
const SECOND_FACTOR = "tests/integration/second-factor-policies.test.ts";
const TOTP = "tests/integration/second-factor-totp.test.ts";
const ABUSE = "tests/integration/sign-in-abuse.test.ts";
const REFRESH = "tests/integration/refresh-rotation.test.ts";

export const IDN = family("IDN", [
  {
    id: "IDN-1",
    title: "Clerk as the production identity provider",
    description:
      "In production TenantGuard signs people in through Clerk: users, organisations and the roles `org:admin` and `org:member` live there. Every session token is verified on the server before anything else happens: RS256 only, signature, expiry, not-before, issuer, and the authorised party against `CLERK_AUTHORIZED_PARTIES`. Verification needs no network call: `CLERK_JWT_KEY` holds Clerk's PEM public key.",
    status: "implemented",
    implementation: ["lib/auth/clerk.ts", "lib/auth/clerk-origin.ts", "lib/auth/verify.ts", "lib/auth/current.ts", "proxy.ts"],
    evidence: [
      evidence(CLERK, "our verifier accepts a Clerk v2 token with the PEM key"),
      evidence(CLERK, "@clerk/backend's verifyToken accepts the very same token, networkless"),
      evidence(CLERK, "a pending Clerk session (sts: pending) is refused"),
      evidence(VERIFY, "verifySessionToken rejects (IDN-1, IDN-2)"),
    ],
    limitations: ["Clerk itself cannot be reached from the test machines: tokens are Clerk-shaped and verified offline with a PEM key; the hosted sign-in flow is not exercised by the tests."],
  },
  {
    id: "IDN-2",
    title: "Built-in identity provider for local work, tests and demos",
    description:
      "Without Clerk, TenantGuard runs its own identity provider: it signs Clerk-shaped RS256 session tokens with a local key, publishes the public key as a JWKS, and those tokens go through exactly the same verifier as Clerk's. It is not a shortcut around authentication: a request whose token signature does not verify is anonymous, whichever provider is in use. Production refuses to start with the embedded provider unless the deployment is explicitly marked as a demo. It offers TOTP as a second factor (RFC 6238; enrolment through a QR code or the setup key, enabled only once a code confirms it) with a second sign-in step after the password; a code counts once, because the last accepted time step is stored and a code is accepted only by an UPDATE that requires a later one; ten recovery codes are shown once, stored as SHA-256 hashes, and each works once. Passkeys (WebAuthn) are a second factor too; an assertion whose signature counter does not move forward (a cloned credential, a replayed assertion) is refused. Its tokens carry `fva` exactly as Clerk's do.",
    status: "implemented",
    implementation: ["lib/auth/embedded/keys.ts", "lib/auth/embedded/tokens.ts", "lib/auth/embedded/sign-in.ts", "lib/auth/embedded/second-factor.ts", "lib/auth/embedded/passkeys.ts", "lib/auth/verify.ts", "app/.well-known/jwks.json/route.ts", "lib/env.ts"],
    evidence: [
      evidence("tests/integration/forged-session-token.test.ts", "a live session's exact claims without our signature are refused on the request path"),
      evidence(VERIFY, "the payload-tampering row is only rejected because of the signature"),
      evidence(VERIFY, "a token issued by the embedded provider becomes the Session it describes"),
      evidence(SIGN_IN, "signs in with the right password into the first organisation, and not otherwise"),
      evidence("tests/unit/env.test.ts", "allows embedded services in production only when explicitly enabled for a demo"),
      evidence("tests/unit/env.test.ts", "a demo start says plainly what the flag permits"),
      evidence("tests/integration/security-definer-grants.test.ts", "the request roles cannot call what is not theirs"),
      evidence("tests/e2e/dashboard.e2e.ts", "serves the embedded provider's public JWKS, with no private key material"),
      evidence(TOTP, "enrolment stays pending (no second sign-in step) until a code confirms it"),
      evidence(TOTP, "with TOTP enabled the password step gives a challenge, never a session"),
      evidence(TOTP, "refuses a wrong code, a code for another user's secret and an old step"),
      evidence(TOTP, "recovery codes work once each"),
      evidence("tests/integration/passkeys.test.ts", "a cloned credential whose counter is not above the stored one is refused"),
      evidence("tests/integration/passkeys.test.ts", "signs in with the passkey (fva [0, 0], method passkey); a wrong challenge or origin is refused"),
      evidence("tests/e2e/account-security.e2e.ts", "passkey registration and sign-in with Chromium's virtual authenticator"),
      evidence("tests/e2e/account-security.e2e.ts", "a TOTP user signs in in two steps; the same code twice is refused"),
    ],
  },
  {
    id: "IDN-3",
    title: "Local users provisioned and kept in sync",
    description:
      "TenantGuard keeps its own copy of users, organisations and memberships. A user, organisation or membership seen for the first time in a verified token is created on that request (just-in-time), and a role that changed in the identity provider is applied to the local membership. Clerk's webhooks keep the copy in step between sign-ins, including deletions: organizationMembership.created/updated/deleted set or remove the local membership and its role (audited in the org as the `webhook` actor `clerk`), user.created/updated the user's primary email and name, user.deleted removes every membership and refuses every session of that user from the next request, organization.created creates the org and organization.deleted removes everyone from it while its audit trail stays. Events are ordered per object, so an older event after a newer one changes nothing; the org of a membership event is the one our records hold under its Clerk id, never created from the payload; events that belong to no single org run through SECURITY DEFINER functions bound to the delivery and touching only that object's rows.",
    status: "implemented",
    issue: 14,
    implementation: ["lib/auth/session.ts", "lib/auth/claims.ts", "lib/webhooks/providers/clerk.ts", "lib/members/sync.ts", "supabase/migrations/20261202090000_clerk_sync.sql"],
    evidence: [
      evidence(RESOLVE, "Clerk v2 claims for an unknown user and org create the user, the org and an admin membership"),
      evidence(RESOLVE, "a later token with a lower role demotes the membership"),
      evidence(RESOLVE, "an embedded token cannot provision a membership"),
      evidence(CLERK_SYNC, "Clerk membership role change -> local role and an audit row"),
      evidence(CLERK_SYNC, "an older membership event after a newer one changes nothing"),
      evidence(CLERK_SYNC, "the same delivery twice has one effect"),
      evidence(CLERK_SYNC, "membership deleted -> removed, and the Clerk session for that org is refused on the next request"),
      evidence(CLERK_SYNC, "user deleted -> their session is refused on the next request, and every membership is gone"),
      evidence(CLERK_SYNC, "user.updated changes the email; an older user event after it does not"),
      evidence(CLERK_SYNC, "organization.created creates the org whose id is the Clerk org id"),
      evidence(CLERK_SYNC, "a membership event names its org only through our records: an unknown Clerk org is ignored"),
      evidence(CLERK_SYNC, "a last-owner demotion via webhook -> 5xx and failed; retried after a promotion, processed"),
      evidence(CLERK_SYNC, "organization.deleted: nobody is a member, tokens are refused, the audit trail stays"),
      evidence(CLERK_SYNC, "webhook_service reaches no org's members outside an entered org"),
      evidence("tests/integration/security-definer-grants.test.ts", "the request roles cannot call what is not theirs"),
    ],
    limitations: [
      "A membership event for a Clerk org we have no record of yet is stored as ignored (200), not applied: the org appears through organization.created or the first token that names it (JIT), and the membership then through its token or a later event. Clerk itself cannot be reached from the test machines: deliveries are Svix-signed offline in Clerk's documented shapes.",
      "A user deleted at Clerk loses the local user row (email and name) and every membership; their audit entries keep the user id. An org deleted at Clerk keeps its local row, data and audit trail (nothing cascades), with no members and no way back in.",
    ],
  },
  {
    id: "IDN-4",
    title: "Session cookies and revocable sessions",
    description:
      "The session cookie is HttpOnly, SameSite=Lax and Secure in production, and carries a short-lived token. Every request also checks the session's row in the database, so a session a user revokes, or one that expired, is refused on the very next request. Users see their sessions at /account/sessions (device parsed from the user agent, IP, when it started and was last seen, the second factor used) and revoke one, or all the others; signing out revokes the session and its refresh tokens.",
    status: "implemented",
    implementation: [
      "lib/auth/current.ts",
      "lib/auth/session.ts",
      "lib/auth/cookie-name.ts",
      "lib/actions/revoke-session.ts",
      "app/api/session/route.ts",
      "app/(dashboard)/account/sessions/page.tsx",
      "app/(dashboard)/account/sessions/actions.ts",
    ],
    evidence: [
      evidence(SIGN_IN, "a revoked session's token is refused on the next request (IDN-4)"),
      evidence(SIGN_IN, "a user cannot revoke someone else's session"),
      evidence(RESOLVE, "returns null for a revoked session, even after the same token resolved successfully before"),
      evidence(RESOLVE, "returns null for a session whose row has expired although the token has not"),
      evidence("tests/integration/sign-in-throttle.test.ts", "is HttpOnly and SameSite=Lax, and Secure when the request arrived over https"),
      evidence("tests/integration/sign-in-throttle.test.ts", "is Secure whenever APP_URL is https, whatever the request says"),
      evidence("tests/e2e/dashboard.e2e.ts", "sign in, create a project, switch org"),
      evidence("tests/integration/sessions-page.test.ts", "describes the device from the user agent, never showing the raw string"),
      evidence("tests/integration/sessions-page.test.ts", "'sign out all others' ends the other sessions and their refresh tokens"),
      evidence("tests/integration/scale-out.test.ts", "IDN-4: a session signed out on instance A is refused on instance B"),
    ],
  },
  {
    id: "IDN-5",
    title: "Per-organisation MFA and sign-in abuse protection",
    description:
      "An owner can require two-step verification for their organisation. Managing API keys, members and invites, and billing then needs a session whose token shows a second factor (Clerk's `fva` claim, `[minutes since the first factor, minutes since the second]`, -1 for none), and creating or rolling a key needs a fresh one: the second factor's age now, `fva[1]` plus the token's own age since `iat`, within the org's step-up window (15 minutes by default). The app refuses first with a clear message and a \"Verify now\" step; RESTRICTIVE policies on every sensitive table, through one fail-closed helper (`private.second_factor_ok`), refuse the same writes in the database, and a trigger applies the rule to member and invite writes made through SECURITY DEFINER functions. Turning the rule on, or changing it while on, needs the owner's own fresh second factor. Sign-in attempts (passwords, TOTP codes and recovery codes) are limited per account and per address with a progressive delay from the fourth failed attempt (250 ms doubling up to AUTH_FAILURE_DELAY_MAX_MS, 2 s by default) and a temporary lockout, both ending once the window slides past the attempts; unknown accounts get the same answer, and the same delay, as wrong passwords.",
    status: "implemented",
    issue: 16,
    implementation: [
      "supabase/migrations/20261203020000_org_second_factor.sql",
      "lib/auth/second-factor-rule.ts",
      "lib/auth/org-second-factor.ts",
      "lib/actions/pipeline.ts",
      "lib/auth/embedded/throttle.ts",
      "lib/auth/embedded/failure-delay.ts",
      "lib/ratelimit/limits.ts",
      "lib/http/client-address.ts",
      "app/(auth)/actions.ts",
      "app/(dashboard)/account/security/page.tsx",
      "lib/auth/checks.ts",
    ],
    evidence: [
      evidence(SECOND_FACTOR, "every sensitive table has restrictive insert, update and delete policies through private.second_factor_ok"),
      evidence("tests/integration/audit-export-second-factor.test.ts", "refused without a second factor or with a stale one, allowed with a fresh one; unchanged with the rule off"),
      evidence(SECOND_FACTOR, "a session without a second factor cannot create a key: a clear message, and a raw insert fails in the database"),
      evidence(SECOND_FACTOR, "with a fresh second factor it succeeds, in the app and in raw SQL"),
      evidence(SECOND_FACTOR, "with a stale second factor key creation is refused"),
      evidence(SECOND_FACTOR, "is not fresh (its age since iat counts)"),
      evidence(SECOND_FACTOR, "an invite without any second factor is refused by the app and, through the definer function, by the trigger"),
      evidence(SECOND_FACTOR, "with the setting off, nothing changes"),
      evidence(SECOND_FACTOR, "owners turn the rule on only with their own fresh second factor"),
      evidence("tests/integration/sign-in-throttle.test.ts", "rotating addresses meet the per-account limit"),
      evidence("tests/integration/sign-in-throttle.test.ts", "one address is locked out of one account after its own, smaller budget"),
      evidence("tests/integration/security-center.test.ts", "org-second-factor warns while the org does not require it"),
      evidence("tests/integration/sign-in-throttle.test.ts", "the lockout message does not reveal whether the account exists"),
      evidence(ABUSE, "an unknown user and a wrong password get the identical answer"),
      evidence(ABUSE, "wrong passwords from rotating addresses lock the account"),
      evidence(ABUSE, "TOTP guesses from rotating addresses lock the second step of that account"),
      evidence("tests/unit/failure-delay.test.ts", "answers the first three at once, then doubles from 250 ms up to the maximum"),
      evidence("tests/integration/sign-in-unavailable.test.ts", "answers its plain 'temporarily unavailable' message"),
    ],
    limitations: [
      "With Clerk, `fva` comes from Clerk's session token and second factors are managed at Clerk; the org rule and its enforcement are the same.",
      "API-key principals carry no second factor: in an org that requires one, they are refused by the sensitive tables' policies (they have no business there anyway).",
    ],
  },
  {
    id: "IDN-6",
    title: "Refresh-token rotation with reuse detection",
    description:
      "Session tokens of the embedded provider live minutes (SESSION_TOKEN_TTL_SECONDS, 10 by default) and are renewed by the proxy with a rotating refresh token kept in an HttpOnly cookie; each refresh uses up the presented token and issues its child. Presenting a token that was already used revokes the whole session (its family) everywhere, records an authentication event and notifies the user in each of their organisations. Only the immediate parent of the newest token is accepted again, inside a short grace window (REFRESH_GRACE_SECONDS, 10 by default, for concurrent tabs), never an older one. The state lives in the database (idp.refresh_tokens, locked per token), so it holds across every app instance; signing out or revoking a session ends its family.",
    status: "implemented",
    issue: 16,
    implementation: [
      "supabase/migrations/20261203020200_refresh_token_rotation.sql",
      "lib/auth/embedded/refresh.ts",
      "lib/auth/embedded/proxy-refresh.ts",
      "proxy.ts",
      "lib/security/embedded-proxy.ts",
      "lib/auth/current.ts",
      "lib/auth/checks.ts",
    ],
    evidence: [
      evidence(REFRESH, "a token used twice, on two instances sharing the database: the second use fails and the family's newest tokens stop working"),
      evidence(REFRESH, "inside the grace window only the immediate parent of the newest token is accepted again, never an older one"),
      evidence(REFRESH, "the proxy renews an expired session token from the refresh cookie"),
      evidence(REFRESH, "signing out revokes the session and its refresh family"),
      evidence("tests/e2e/account-security.e2e.ts", "the session renews from the refresh cookie"),
      evidence("tests/integration/scale-out.test.ts", "IDN-6: a refresh token used on instance A and presented again on instance B revokes the whole family"),
    ],
    limitations: ["With Clerk, Clerk's own session refresh applies; this rotation is the embedded provider's."],
  },
]);
