// What the console's browser scripts share: Debian's chromium launched by playwright-core (never a browser download),
// the stdio protocol with the Java test (one JSON object a line), and signing in through the page.
import { chromium } from 'playwright-core';

export const TIMEOUT = 60_000; // generous: the test machine may be busy with other builds

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

export const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
export const step = (name) => out({ step: name });

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
}

/** Page errors and console errors, and every refused request by status and path. */
export function watch(page, name, errors, failed) {
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  // Refused requests are listed by URL (Chromium's console message does not say which one failed).
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`${name} console: ${m.text()}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`); });
}

export async function signIn(page, email, password) {
  await page.locator('#sign-in-email').fill(email);
  await page.locator('#sign-in-password').fill(password);
  await page.locator('#sign-in-form').getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
}
