// Self-hosting (`npm run build` runs this after `next build`): completes `.next/standalone`, the tree a server or an
// image needs and nothing else (docs/self-hosting.md).
//
//   - server.js: our production server entry (scripts/server.mjs: forwarding headers sanitised, TRACE refused, the
//     client address from the socket) in place of the one Next.js writes, with the build's configuration, so
//     `node server.js` gives the same guarantees as `npm start` in a checkout;
//   - .next/static (and public/, when there is one), which Next.js leaves for a CDN;
//   - what the app reads from disk at run time: supabase/migrations, scripts/verify-rls-coverage.sql, config/, sbom/;
//   - worker.mjs and migrate.mjs: `npm run worker` (lib/jobs) and `npm run db:migrate` bundled, so an image without
//     the TypeScript toolchain runs them as `node worker.mjs` beside the server and `node migrate.mjs` before it.
//
// Plain JavaScript with no dependency beyond esbuild (which tsx, already a build dependency, brings).
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RUNTIME_PATHS, SERVER_FILES } from "./lib/standalone-files.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, ".next", "standalone");


function fail(message) {
  console.error(`standalone: ${message}`);
  process.exit(1);
}

if (!existsSync(path.join(OUT, "server.js"))) fail(".next/standalone/server.js is missing: next.config.ts must set output: \"standalone\" and `next build` must have run.");

const required = JSON.parse(readFileSync(path.join(ROOT, ".next", "required-server-files.json"), "utf8"));
if (!required.config) fail(".next/required-server-files.json has no config");

for (const file of SERVER_FILES) cpSync(path.join(ROOT, file), path.join(OUT, file));
for (const rel of RUNTIME_PATHS) {
  const from = path.join(ROOT, rel);
  if (!existsSync(from)) continue;
  const to = path.join(OUT, rel);
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}
const staticDir = path.join(OUT, ".next", "static");
rmSync(staticDir, { recursive: true, force: true });
cpSync(path.join(ROOT, ".next", "static"), staticDir, { recursive: true });

// The configuration the build resolved (next.config.ts is not in the tree): Next.js reads it from this variable, as
// its own standalone server does. The working directory is the tree, so relative paths (.data/...) are inside it.
writeFileSync(
  path.join(OUT, "server.js"),
  [
    "// Written by scripts/standalone.mjs: the production server entry (scripts/server.mjs) with the build's configuration.",
    "process.chdir(__dirname);",
    `process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = ${JSON.stringify(JSON.stringify(required.config))};`,
    'import("./scripts/server.mjs").catch((error) => {',
    "  console.error(error);",
    "  process.exit(1);",
    "});",
    "",
  ].join("\n"),
);

// The job worker and the migration runner: scripts/worker.ts, scripts/migrate.ts and what they import, bundled; packages the server's trace already holds stay
// external (native and WebAssembly ones must), the rest is bundled in.
const { build } = await import("esbuild");
const traced = new Set();
const modules = path.join(OUT, "node_modules");
const dependencies = Object.keys(JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies);
for (const entry of dependencies) {
  if (existsSync(path.join(modules, entry, "package.json"))) traced.add(entry);
}
await build({
  entryPoints: { worker: path.join(ROOT, "scripts", "worker.ts"), migrate: path.join(ROOT, "scripts", "migrate.ts") },
  outdir: OUT,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  conditions: ["react-server"],
  tsconfig: path.join(ROOT, "tsconfig.json"),
  external: [...traced],
  // Bundled CommonJS calls require(): give the ES module one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: "warning",
  legalComments: "none",
});
console.log("standalone: .next/standalone is ready (node server.js; node worker.mjs; node migrate.mjs).");
