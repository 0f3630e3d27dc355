// Builds the console into server/ui/ (index.html, style.css, app.js), the
// files keyfoldd embeds (scripts/embed-ui.py). app.js is one ES module:
// src/main.ts and the TypeScript client (proto/clients/typescript, from its
// sources, so the bundle never lags behind them) bundled by esbuild.
//
//   node build.mjs           write server/ui/
//   node build.mjs --check   exit 1 if the committed server/ui/ differs from a fresh build
//
// The output depends only on the sources and the pinned esbuild, so the
// committed files can be checked (meson test console_build).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', '..', 'server', 'ui');
export const CLIENT_ENTRY = join(here, '..', 'clients', 'typescript', 'src', 'index.ts');

// Without node_modules there is nothing to build with: a failure that says
// so (scripts/test.sh installs them first), not a skip that hides the check.
const esbuild = await import('esbuild').catch(() => null);
if (!esbuild) {
  console.error('proto/console/node_modules is missing: run scripts/install-npm.sh');
  process.exit(1);
}

export async function bundle() {
  const result = await esbuild.build({
    // Paths in the bundle's comments are relative to this directory, wherever
    // the build runs from (the check must reproduce the bytes).
    absWorkingDir: here,
    entryPoints: [join(here, 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    alias: { '@keyfold/client': CLIENT_ENTRY },
    write: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
    outfile: 'app.js',
  });
  return {
    'index.html': readFileSync(join(here, 'src', 'index.html')),
    'style.css': readFileSync(join(here, 'src', 'style.css')),
    'app.js': Buffer.from(result.outputFiles[0].contents),
  };
}

const files = await bundle();
if (process.argv.includes('--check')) {
  const stale = Object.entries(files).filter(([name, data]) => {
    try {
      return !readFileSync(join(outDir, name)).equals(data);
    } catch {
      return true;
    }
  });
  if (stale.length) {
    console.error(`server/ui/ is not the build of proto/console: ${stale.map(([n]) => n).join(', ')} differ; run node proto/console/build.mjs`);
    process.exit(1);
  }
  console.log(`server/ui/ matches a fresh build (${Object.keys(files).join(', ')})`);
} else {
  mkdirSync(outDir, { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileSync(join(outDir, name), data);
  console.log(`wrote ${Object.keys(files).map((n) => `server/ui/${n}`).join(', ')}`);
}
