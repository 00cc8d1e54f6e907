import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium, unless CHROMIUM_PATH names another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A headless Chromium on a new empty profile, removed by `close`. */
export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<{ browser: BrowserContext; page: Page; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'beckon-chromium-'));
  // Without the background-networking flags Chromium keeps reaching for a network this machine lacks.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    ...(options.viewport && { viewport: options.viewport }),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  return {
    browser,
    page,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What the callbacks that run in the page see (the project compiles without the DOM's types). */
export interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  closest(selector: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}

/** Where a console figure sits in its API answer: keys, indexes, a group by key or an arm by variant. */
export type FigurePath = (string | number | { key: string } | { variant: string })[];

/** A figure the console shows (an element with data-path), with the API answer its section names (data-stats). */
export interface ShownFigure {
  stats: string;
  path: FigurePath;
  value: unknown;
  format: string;
  absent: boolean;
  text: string;
}

/** Every figure on the page, or inside `scope` (a CSS selector). */
export function shownFigures(page: Page, scope = ''): Promise<ShownFigure[]> {
  return page.$$eval(`${scope} [data-path]`.trim(), (elements) =>
    (elements as unknown as PageElement[]).map((el) => ({
      stats: el.closest('[data-stats]')?.dataset.stats ?? '',
      path: JSON.parse(el.dataset.path!),
      value: JSON.parse(el.dataset.value!),
      format: el.dataset.format!,
      absent: el.dataset.absent === 'true',
      text: el.textContent ?? '',
    })),
  );
}

/** The value at a figure's path in an API answer; undefined where the answer has none. */
export function resolveFigurePath(answer: unknown, path: FigurePath): unknown {
  let at: unknown = answer;
  for (const step of path) {
    if (at === undefined || at === null) return undefined;
    if (typeof step === 'object' && 'key' in step) at = (at as { key: string }[]).find((g) => g.key === step.key);
    else if (typeof step === 'object') at = (at as { variant: string }[]).find((a) => a.variant === step.variant);
    else at = (at as Record<string | number, unknown>)[step];
  }
  return at;
}

/** Logs in to the console at `url` (its hash route) with an admin token, by keyboard, and waits for `ready`. */
export async function logInToConsole(page: Page, url: string, token: string, ready: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Admin token').waitFor();
  // Focus is on the token field; Enter submits.
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.locator(ready).waitFor({ timeout: 60_000 });
}
