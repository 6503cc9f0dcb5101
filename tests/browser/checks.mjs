// What the browser test checks on every page it visits, and the clerk's mistakes.
//
// - `look(page, name)`: a screenshot at 1366 px and at 390 px (a phone held upright), and
//   axe-core's WCAG 2.1 A/AA rules (the automated part of GB/T 37668) at both widths. Every
//   violation is collected with its page and width; `assertAccessible()` fails the run
//   with all of them at the end.
// - `narrowHeaderFits(page)`: at 390 px the header's links never stack one character per
//   line, no person's name (`td.name`) breaks over two lines, and nothing is wider than
//   the screen but a table that scrolls.
// - `mistake(page, …)`: a form submitted with a bad value keeps what was typed, and its
//   error is on screen where the page lands (no scrolling needed to see it).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const WIDE = { width: 1366, height: 768 };
export const NARROW = { width: 390, height: 844 };

const violations = [];
let step = 0;

async function axe(page, where) {
  // The pages' CSP forbids inline scripts: contexts are made with bypassCSP for this.
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () =>
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    }),
  );
  for (const v of result.violations) {
    const nodes = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ');
    violations.push(`${where}: ${v.id} (${v.impact}) ${v.help} — ${nodes}`);
  }
  return result.violations.length;
}

// At 390 px: the header's links wrap by whole words, and the page is no wider than the
// screen (tables scroll inside their own box).
export async function narrowHeaderFits(page, where) {
  const problems = await page.evaluate(() => {
    const out = [];
    for (const a of document.querySelectorAll('header a')) {
      const r = a.getBoundingClientRect();
      const lineHeight = parseFloat(getComputedStyle(a).lineHeight) || 20;
      if (r.width > 0 && r.height > lineHeight * 1.8 && a.textContent.trim().length > 1) {
        out.push(`header link “${a.textContent.trim()}” wraps (${Math.round(r.width)}×${Math.round(r.height)})`);
      }
    }
    // A person's name stays on one line: its text's line boxes share one top.
    for (const cell of document.querySelectorAll('td.name')) {
      const range = document.createRange();
      range.selectNodeContents(cell);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) {
        out.push(`the name “${cell.textContent.trim()}” wraps over ${tops.size} lines`);
      }
    }
    const width = document.documentElement.scrollWidth;
    if (width > window.innerWidth + 1) {
      // Name the outermost elements that stick out, to say what to mend.
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .filter((e) => !e.parentElement || e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
        .slice(0, 3)
        .map((e) => {
          const p = e.parentElement;
          const cs = p ? getComputedStyle(p) : null;
          return `${e.tagName.toLowerCase()} in ${p ? p.tagName.toLowerCase() : ''} display=${cs && cs.display} overflow=${cs && cs.overflowX} w=${p && p.clientWidth}`;
        });
      out.push(`the page is ${width}px wide on a ${window.innerWidth}px screen (${wide.join(', ')})`);
    }
    return out;
  });
  for (const p of problems) violations.push(`${where} (390px): ${p}`);
}

export async function look(page, out, name) {
  step += 1;
  const base = `${String(step).padStart(2, '0')}-${name}`;
  const viewport = page.viewportSize() || WIDE;
  await page.setViewportSize(WIDE);
  await page.screenshot({ path: join(out, `${base}.png`), fullPage: true });
  const wide = await axe(page, `${name} (1366px)`);
  await page.setViewportSize(NARROW);
  await page.screenshot({ path: join(out, `${base}-390.png`), fullPage: true });
  const narrow = await axe(page, `${name} (390px)`);
  await narrowHeaderFits(page, name);
  await page.setViewportSize(viewport);
  console.log(`  ✔ ${base}.png, ${base}-390.png${wide + narrow ? ` — ${wide + narrow} axe violation(s)` : ''}`);
}

export function assertAccessible() {
  if (violations.length > 0) {
    throw new Error(`accessibility and narrow-screen problems:\n  ${violations.join('\n  ')}`);
  }
  console.log('axe-core found no WCAG 2.1 A/AA violation on any page at 1366 px or 390 px');
}

// Whether the element's box lies within the viewport as the page stands (after it landed
// on its anchor, if any): the user sees it without scrolling.
async function onScreen(locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
  });
}

// A clerk's mistake: `fill` types into the form, `submit` sends it; then every field of
// `kept` ({selector: value}) still holds what was typed, and an error containing
// `error` is on screen where the page landed.
export async function mistake(page, { what, fill, submit, kept, error }) {
  await fill();
  await submit();
  await page.waitForLoadState('load');
  for (const [selector, value] of Object.entries(kept)) {
    const now = await page.locator(selector).first().inputValue();
    if (now !== value) {
      throw new Error(`${what}: ${selector} holds “${now}” after the error, not what was typed (“${value}”)`);
    }
  }
  const shown = page.locator('.errors, .field-error, .field-missing, [role=alert]', { hasText: error });
  if ((await shown.count()) === 0) {
    throw new Error(`${what}: no error saying “${error}”`);
  }
  let seen = false;
  for (let i = 0; i < (await shown.count()); i += 1) {
    if (await onScreen(shown.nth(i))) seen = true;
  }
  if (!seen) {
    throw new Error(`${what}: the error “${error}” is off screen where the page landed (${page.url()})`);
  }
  console.log(`  ✔ mistake: ${what} — input kept, error on screen`);
}
