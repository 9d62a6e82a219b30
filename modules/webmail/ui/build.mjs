// Bundles the webmail UI into static files the node serves (modules/webmail/static_assets.h):
//   <out>/index.html             no-cache; names the hashed bundles
//   <out>/assets/app-<hash>.js   immutable (the hash changes with the content)
//   <out>/assets/app-<hash>.css
// No inline script or style anywhere, so the page runs under the node's strict CSP
// (script-src 'self'; style-src 'self'). Runs on Node 18 (Debian 12's nodejs).
//
// usage: node build.mjs <out dir>
import * as esbuild from "esbuild";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, "dist"));
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "assets"), { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: join(here, "src/main.tsx") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome100", "firefox100", "safari15"],
  jsx: "automatic",
  jsxImportSource: "preact",
  entryNames: "[name]-[hash]",
  outdir: join(out, "assets"),
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

let script = "";
let style = "";
for (const file of Object.keys(result.metafile.outputs)) {
  if (file.endsWith(".js")) script = basename(file);
  if (file.endsWith(".css")) style = basename(file);
}
if (!script || !style) throw new Error("esbuild produced no script or no stylesheet");

// The title and the noscript text are English and French: the script sets <html lang> from
// navigator.language once it runs.
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Lifeboat webmail</title>
<link rel="stylesheet" href="/assets/${style}">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>This webmail needs JavaScript. / Ce webmail a besoin de JavaScript.</noscript>
</body>
</html>
`;
writeFileSync(join(out, "index.html"), html);
console.log(`webmail UI: ${out}/index.html, assets/${script}, assets/${style}`);
