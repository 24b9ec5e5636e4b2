import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';

/** Opens a report file in `page`, recording console errors and every request, and waits until its charts are drawn. */
export async function openReport(page: Page, file: string): Promise<{ errors: string[]; requests: string[]; url: string }> {
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(file).href;
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { __reportReady?: boolean }).__reportReady === true);
  return { errors, requests, url };
}
