import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htmlReporter } from '../../src/reporters/html.js';
import { goldenOptions } from './golden.js';
import { sampleResult } from './sample-result.js';

/**
 * The HTML report in a real browser: Debian's chromium, driven by playwright-core. It must render
 * without script errors or network requests, and its filters and sorting must work.
 */
const chromiumPath = '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
if (!haveChromium)
  console.warn(
    `HTML browser test skipped: ${chromiumPath} is missing (install it with .ci/setup-chromium.sh)`,
  );

const artifacts = path.resolve(import.meta.dirname, '../artifacts');

describe.skipIf(!haveChromium)('html report in headless chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const external: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-html-'));
    userDataDir = path.join(dir, 'profile');
    const file = path.join(dir, 'report.html');
    writeFileSync(file, htmlReporter.render(sampleResult(), goldenOptions));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 1000 },
      timeout: 60_000,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (request) => {
      if (!/^(file|data|about):/.test(request.url())) external.push(request.url());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(path.dirname(userDataDir), { recursive: true, force: true });
  });

  const visibleRows = () => page.locator('#findings tbody tr:not([hidden])');

  it('renders the summary, charts and every finding without errors or network requests', async () => {
    expect(await page.title()).toBe('parapet report: 5 failing');
    await expect.poll(() => visibleRows().count()).toBe(12);
    expect(await page.locator('#finding-count').textContent()).toBe('Showing 12 of 12 findings');
    expect(await page.locator('figure.chart svg').count()).toBe(4);
    const critical = await page
      .locator('figure.chart')
      .first()
      .locator('g.bar')
      .first()
      .getAttribute('aria-label');
    expect(critical).toBe('critical: 2');
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    mkdirSync(artifacts, { recursive: true });
    const shot = path.join(artifacts, 'html-report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 60_000);

  it('filters by text, by severity and by clicking a chart bar', async () => {
    await page.fill('#filter-text', 'nginx');
    expect(await visibleRows().count()).toBe(1);
    expect(await visibleRows().first().getAttribute('data-policy')).toBe('image-tag-latest');
    await page.fill('#filter-text', '');
    await page.selectOption('#filter-severity', 'critical');
    expect(await visibleRows().count()).toBe(2);
    expect(await page.locator('#finding-count').textContent()).toBe('Showing 2 of 12 findings');
    await page.selectOption('#filter-status', 'approved');
    expect(await visibleRows().count()).toBe(1);
    await page.click('#filter-reset');
    expect(await visibleRows().count()).toBe(12);
    await page.locator('g.bar[data-filter="source:terraform"]').click();
    expect(await page.locator('#filter-source').inputValue()).toBe('terraform');
    const sources = await visibleRows().evaluateAll((rows) =>
      rows.map((row) => row.getAttribute('data-source')),
    );
    expect(sources).toEqual(['terraform', 'terraform', 'terraform', 'terraform']);
    await page.fill('#filter-text', 'no such thing');
    expect(await page.locator('#no-match').isVisible()).toBe(true);
    await page.click('#filter-reset');
  }, 60_000);

  it('sorts by severity and by resource when the headers are clicked', async () => {
    await page.click('th[data-sort="severityRank"] button');
    const severities = await visibleRows().evaluateAll((rows) =>
      rows.map((row) => row.getAttribute('data-severity')),
    );
    expect(severities.slice(0, 2)).toEqual(['critical', 'critical']);
    expect(severities.at(-1)).toBe('low');
    expect(await page.locator('th[data-sort="severityRank"]').getAttribute('aria-sort')).toBe('ascending');
    await page.click('th[data-sort="severityRank"] button');
    expect(await visibleRows().first().getAttribute('data-severity')).toBe('low');
    await page.click('th[data-sort="resource"] button');
    const resources = await visibleRows().evaluateAll((rows) =>
      rows.map((row) => row.getAttribute('data-resource') ?? ''),
    );
    expect(resources).toEqual([...resources].sort());
  }, 60_000);
});
