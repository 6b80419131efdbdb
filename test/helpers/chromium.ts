/**
 * Debian's Chromium for the browser end-to-end tests, driven by playwright-core (no browser download).
 *
 * FACETALLY_CHROMIUM overrides the executable (default /usr/bin/chromium, from `apt-get install chromium`).
 */
import type { Browser, BrowserContext } from 'playwright-core';

/** Path of the Chromium executable the browser tests launch. */
export const CHROMIUM = process.env.FACETALLY_CHROMIUM ?? '/usr/bin/chromium';

/** One request the page made: its URL, method and body size in bytes (0 without a body). */
export interface SeenRequest {
  url: string;
  method: string;
  body: number;
}

/**
 * Launch headless Chromium (no sandbox, no GPU, no background network) and open a context of the given viewport
 * that accepts downloads and appends every request it makes to `requests`, so a test can check that nothing left
 * 127.0.0.1 or carried photo bytes.
 * @param viewport page size in CSS pixels
 * @param requests array the context's requests are pushed onto
 * @throws Error from playwright-core when Chromium cannot start (within 120 s)
 */
export async function launchChromium(
  viewport: { width: number; height: number },
  requests: SeenRequest[],
): Promise<{ browser: Browser; context: BrowserContext }> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    timeout: 120_000,
  });
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  context.on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer()?.length ?? 0 }));
  return { browser, context };
}
