// Part h's browser: Debian's chromium driven by playwright-core, timing how long the inspector's page takes to show
// its list (from navigation to the frame after the rows were laid out: the page marks it 'etsyhook:list-shown').
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.ETSYHOOK_CHROMIUM ?? '/usr/bin/chromium';

export async function pageTimes(url, { loads = 3, rows } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const times = [];
    let shown = 0;
    for (let i = 0; i < loads; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForSelector('body[data-loaded="1"]', { timeout: 60_000 });
      times.push(await page.evaluate(() => performance.getEntriesByName('etsyhook:list-shown')[0].startTime));
      shown = await page.locator('#rows .row').count();
      await context.close();
    }
    if (rows !== undefined && shown !== rows) throw new Error(`the page showed ${shown} rows, expected ${rows}`);
    return { times, shown };
  } finally {
    await browser.close();
  }
}
