import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { PROJECT_ROOT } from "../../src/platform/paths";
import { leftover } from "./leftovers";

/**
 * A real browser for the pages' tests: Debian's chromium (installed by .ci/run when missing;
 * Playwright's own browser download does not work here), or CHROMIUM_PATH. One per test file,
 * closed after it (./leftovers).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Where screenshots of the pages go on every run (the main ones are copied to docs/screenshots/). */
export const SCREENSHOTS = resolve(PROJECT_ROOT, process.env.DATA_DIR || ".data", "screenshots");

export async function launchBrowser(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where chromium refuses its sandbox.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  return leftover("browser", browser, (b) => b.close(), { scope: "file" });
}

/** What a page did that the pages must never do: reach outside the gateway, break the CSP, throw. */
export interface PageWatch {
  outside: string[];
  problems: string[];
}

/**
 * A new page (its own context: its own sessionStorage) that may reach `origin` only: any other
 * request is aborted and noted, as are CSP refusals and uncaught errors.
 */
export async function openPage(browser: Browser, origin: string, viewport = { width: 1440, height: 1000 }): Promise<{ page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport, locale: "zh-CN" });
  leftover("browser context", context, (c) => c.close());
  const page = await context.newPage();
  const watch: PageWatch = { outside: [], problems: [] };
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    watch.outside.push(url);
    return route.abort();
  });
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Refused to/i.test(message.text())) watch.problems.push(message.text());
  });
  page.on("pageerror", (error) => watch.problems.push(`uncaught: ${error.message}`));
  if (process.env.BROWSER_DEBUG) {
    // Debugging a page: its console and every GraphQL answer with errors, on the test's stderr.
    page.on("console", (message) => console.error(`[page ${message.type()}] ${message.text()}`));
    page.on("response", (response) => {
      if (!response.url().endsWith("/graphql")) return;
      void response.text().then((body) => body.includes('"errors"') && console.error(`[page graphql] ${body.slice(0, 400)}`), () => undefined);
    });
  }
  return { page, watch };
}

/** Signs a page in with `token` through its sign-in form. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId("token").fill(token);
  await page.getByTestId("signin").click();
}

/** Saves a full-page screenshot as <SCREENSHOTS>/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
