// A real browser for the inspector's tests: Debian's chromium driven by playwright-core (Playwright's own browser
// download is not available here). A missing chromium fails the test with the reason; nothing is skipped.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.ETSYHOOK_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set ETSYHOOK_CHROMIUM to its path`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
