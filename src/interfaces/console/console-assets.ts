import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The operator console's built files (`npm run build` writes them with Vite from `src/interfaces/console/web` into
 * `dist/console`), read once into memory: the bundle is small (tens of kB compressed) and a page
 * load then costs no disk read. The server answers them at `/console/assets/…`; every other path
 * of the console gets `index.html` and the page is chosen in the browser.
 */
export interface ConsoleAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** Vite puts a content hash in every asset's name: such a file never changes under its name. */
  readonly immutable: boolean;
}

/** What the console has to serve: its page and its assets by path under `/console/`. */
export interface ConsoleAssets {
  /** `index.html`, or null when the console was not built. */
  readonly index: Buffer | null;
  /** By path under the base, e.g. `assets/index-3f2a1c.js`. */
  readonly files: ReadonlyMap<string, ConsoleAsset>;
  /** Where the files were looked for (named in the answer when the console is not built). */
  readonly dir: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * `dist/console` of this package. Both this file's source (`src/interfaces/console/`) and its
 * compiled form (`dist/interfaces/console/`) sit three folders below the package root.
 */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Reads the built console from `dir`; a missing build gives `index: null` and no files. */
export function loadConsoleAssets(dir: string = DEFAULT_CONSOLE_DIR): ConsoleAssets {
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) return { index: null, files: new Map(), dir };
  const files = new Map<string, ConsoleAsset>();
  for (const path of walk(dir)) {
    const name = relative(dir, path).split(sep).join('/');
    if (name === 'index.html') continue;
    files.set(name, { body: readFileSync(path), contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream', immutable: name.startsWith('assets/') });
  }
  return { index: readFileSync(indexPath), files, dir };
}

/** The page answered when the console was not built (a checkout where `npm run build` did not run). */
export function notBuiltPage(dir: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Twinloop console</title></head><body><main><h1>The console is not built</h1><p>No <code>index.html</code> in <code>${dir.replace(/[<>&]/g, '')}</code>. Run <code>npm run build</code> (or <code>npm start</code>, which builds), then reload.</p><p>The API answers meanwhile: <a href="/openapi.json">/openapi.json</a>.</p></main></body></html>`;
}
