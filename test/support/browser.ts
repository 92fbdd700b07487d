import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`, as `.ci/run` does); never a downloaded browser. */
export const CHROMIUM = process.env.TWINLOOP_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, reproducible headless run: no GPU, no network of its own, no first-run work. */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where the browser tests write screenshots and measurements for a reviewer (git-ignored). */
export const RESULTS_DIR = join(process.cwd(), 'test-results', 'console');

/** Whether the browser tests can run here, and why not. */
export function browserAvailable(): { ok: true } | { ok: false; why: string } {
  if (!existsSync(CHROMIUM)) return { ok: false, why: `no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does) or set TWINLOOP_CHROMIUM` };
  return { ok: true };
}

/**
 * Launches Chromium; Playwright gives every launch a fresh, temporary user-data-dir (removed when
 * the browser closes), and each `browser.newContext()` is a person with their own storage.
 */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}
