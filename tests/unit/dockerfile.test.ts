import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// Self-hosting: the image cannot be built here (no image pulls), so its shape is checked instead: a minimal base,
// a non-root user, no secret in the image, the standalone build, the port, the data and storage volumes, and a
// health check on a route that exists.
const ROOT = path.resolve(__dirname, "../..");

interface Instruction {
  line: number;
  op: string;
  args: string;
}

/** Dockerfile instructions (continuation lines joined, comments dropped). */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: Instruction | null = null;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!pending && (line === "" || line.startsWith("#"))) return;
    const body = line.replace(/\\$/, "").trim();
    if (pending) pending.args += ` ${body}`;
    else {
      const m = /^(\w+)\s+(.*)$/.exec(body);
      if (!m) throw new Error(`Dockerfile line ${i + 1}: ${raw}`);
      pending = { line: i + 1, op: m[1]!.toUpperCase(), args: m[2]! };
    }
    if (!line.endsWith("\\") && pending) {
      out.push(pending);
      pending = null;
    }
  });
  return out;
}

/** What is wrong with a Dockerfile, as sentences (empty: it has the shape the README promises). */
export function dockerfileProblems(text: string, dockerignore: string): string[] {
  const all = instructions(text);
  const problems: string[] = [];
  const froms = all.filter((i) => i.op === "FROM");
  if (froms.length < 2) problems.push("not multi-stage: build and runtime must be separate stages");
  const lastFrom = all.lastIndexOf(froms.at(-1)!);
  const runtime = all.slice(lastFrom);
  const base = froms.at(-1)?.args.split(/\s+/)[0] ?? "";
  if (!/^(node:\d+(\.\d+)*-(slim|alpine)|gcr\.io\/distroless\/nodejs\d+)/.test(base)) problems.push(`runtime base ${base} is not a minimal Node image (node:<v>-slim, -alpine or distroless)`);
  if (!all.slice(0, lastFrom).some((i) => i.op === "RUN" && /\bnpm ci\b/.test(i.args))) problems.push("the build stage does not install with npm ci (the lockfile)");
  const user = runtime.filter((i) => i.op === "USER").at(-1);
  if (!user) problems.push("the runtime stage has no USER: it would run as root");
  else if (/^(root|0)(:|$)/.test(user.args.trim())) problems.push(`USER ${user.args} is root`);
  else if (runtime.findIndex((i) => i === user) < runtime.findLastIndex((i) => i.op === "RUN")) problems.push("a RUN comes after USER in the runtime stage (it would run as the app user, or the order is wrong)");
  const copies = runtime.filter((i) => i.op === "COPY" || i.op === "ADD");
  if (!copies.some((i) => /--from=\S+\s+\S*\.next\/standalone\b/.test(i.args))) problems.push("the runtime stage does not copy .next/standalone");
  if (copies.some((i) => !/--from=/.test(i.args))) problems.push("the runtime stage copies from the build context (only the build stage's output belongs in it)");
  for (const i of all) {
    if ((i.op === "COPY" || i.op === "ADD") && /(^|\s|\/)\.env(?!\.example)|\.pem\b|\.key\b|id_rsa|\.data\//.test(i.args)) problems.push(`line ${i.line}: copies a secret or local state: ${i.args}`);
    if ((i.op === "ENV" || i.op === "ARG") && /\b\w*(SECRET|PASSWORD|TOKEN|PRIVATE_KEY|SIGNING_KEY|ENCRYPTION_KEYS|DATABASE_URL)\w*=(?!"?"?(\s|$))/.test(i.args)) problems.push(`line ${i.line}: bakes a secret into the image: ${i.op} ${i.args}`);
  }
  const env = runtime.filter((i) => i.op === "ENV").map((i) => i.args).join(" ");
  const port = /\bPORT=(\d+)/.exec(env)?.[1];
  const exposed = runtime.filter((i) => i.op === "EXPOSE").flatMap((i) => i.args.split(/\s+/));
  if (!port || !exposed.includes(port)) problems.push(`the port the server listens on (PORT=${port ?? "unset"}) is not EXPOSEd`);
  const volumes = runtime.filter((i) => i.op === "VOLUME").flatMap((i) => (i.args.startsWith("[") ? (JSON.parse(i.args) as string[]) : i.args.split(/\s+/)));
  // Everything the app writes must be inside a volume: the root filesystem can then be read-only.
  for (const name of ["PGLITE_DATA_DIR", "IDP_KEY_FILE", "FILE_URL_KEY_FILE", "AUDIT_CHECKPOINT_DIR", "STORAGE_ROOT"]) {
    const value = new RegExp(`\\b${name}=(\\S+)`).exec(env)?.[1];
    if (!value) problems.push(`${name} is not set in the runtime stage (its default is relative to the read-only /app)`);
    else if (!volumes.some((v) => value === v || value.startsWith(`${v}/`))) problems.push(`${name}=${value} is not inside a VOLUME (${volumes.join(", ") || "none"})`);
  }
  const health = runtime.find((i) => i.op === "HEALTHCHECK");
  const route = health && /\/health\/[\w-]+/.exec(health.args)?.[0];
  if (!route) problems.push("no HEALTHCHECK on a /health route");
  else if (!existsSync(path.join(ROOT, "app", route, "route.ts"))) problems.push(`HEALTHCHECK calls ${route}, which is not a route (app${route}/route.ts)`);
  const cmd = runtime.filter((i) => i.op === "CMD").at(-1);
  if (!cmd || !/"node",\s*"server\.js"/.test(cmd.args)) problems.push("CMD is not node server.js (the standalone server entry)");
  const ignored = dockerignore.split("\n").map((l) => l.trim());
  for (const entry of [".env", ".env.*", ".data/", ".git/", "node_modules/"]) {
    if (!ignored.includes(entry)) problems.push(`.dockerignore does not exclude ${entry}`);
  }
  return problems;
}

describe("Dockerfile", () => {
  const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
  const dockerignore = readFileSync(path.join(ROOT, ".dockerignore"), "utf8");

  it("is multi-stage, non-root, copies no secret, runs the standalone server with its port, volumes and health check", () => {
    expect(dockerfileProblems(dockerfile, dockerignore)).toEqual([]);
  });

  it("each broken shape is reported", () => {
    const broken = (from: string | RegExp, to: string) => {
      const changed = dockerfile.replace(from, to);
      expect(changed, `${String(from)} is in the Dockerfile`).not.toBe(dockerfile);
      return dockerfileProblems(changed, dockerignore).join("\n");
    };
    expect(broken(/^USER node$/m, "USER root")).toMatch(/USER root is root/);
    expect(broken(/^USER node$/m, "")).toMatch(/no USER/);
    expect(broken("COPY --from=build /src/.next/standalone ./", "COPY --from=build /src/.next/standalone ./\nCOPY .env ./")).toMatch(/copies a secret|copies from the build context/);
    expect(broken("ENV NODE_ENV=production", "ENV AUDIT_SIGNING_KEY=v1:abc NODE_ENV=production")).toMatch(/bakes a secret/);
    expect(broken("COPY --from=build /src/.next/standalone ./", "COPY --from=build /src/.next ./.next")).toMatch(/does not copy .next\/standalone/);
    expect(broken("EXPOSE 3000", "EXPOSE 8080")).toMatch(/not EXPOSEd/);
    expect(broken('VOLUME ["/data", "/storage"]', 'VOLUME ["/data"]')).toMatch(/STORAGE_ROOT=\/storage is not inside a VOLUME/);
    expect(broken("/health/live", "/health/alive")).toMatch(/not a route/);
    expect(broken(/^FROM node:20-slim AS runtime$/m, "FROM node:20 AS runtime")).toMatch(/not a minimal Node image/);
    expect(dockerfileProblems(dockerfile, dockerignore.replace(/^\.env$/m, ""))).toContain(".dockerignore does not exclude .env");
  });
});
