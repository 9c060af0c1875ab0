// dashboard.test.mjs: the organizer dashboard in a real headless browser
// (Debian's chromium, driven by playwright-core). Started by run.sh, which
// provides a daemon on loopback and these variables:
//   EM_BASE        the HTTP side port's URL, e.g. http://127.0.0.1:PORT
//   EM_RPC_PORT    the RPC port
//   EM_EVENT       an event with participants, meetings and check-ins
//   EM_TOKEN_FILE  a file holding an organizer token of that event
//   EM_SHOT        where the screenshot goes (docs/dashboard.png)
//   EM_PROFILE_DIR a fresh directory for chromium's profile
//   EM_SHOT_RTL    (optional) a screenshot of the Arabic page, for review
// Prints one line per check and ends with "N passed, N failed".
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { Client } from './rpc.mjs';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error('missing environment variable ' + k);
  return v;
};
const BASE = env('EM_BASE');
const RPC_PORT = Number(env('EM_RPC_PORT'));
const EVENT = env('EM_EVENT');
const TOKEN = fs.readFileSync(env('EM_TOKEN_FILE'), 'utf8').trim();
const SHOT = env('EM_SHOT');
const PROFILE_DIR = env('EM_PROFILE_DIR');
const STEP_MS = 15000; // the longest any one wait may take
const TOTAL_MS = 150000; // the whole test, whatever happens

let passed = 0;
let failed = 0;

function summary() {
  console.log(passed + ' passed, ' + failed + ' failed');
}

// The whole run is bounded: a hang fails instead of stalling CI.
const watchdog = setTimeout(() => {
  console.log('FAIL the test did not finish within ' + TOTAL_MS / 1000 + ' s');
  failed++;
  summary();
  process.exit(1);
}, TOTAL_MS);

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log('ok   ' + name);
    return true;
  } catch (e) {
    failed++;
    console.log('FAIL ' + name + ': ' + (e && e.message ? e.message.split('\n')[0] : e));
    return false;
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function counter(page, id) {
  const v = await page.getAttribute('#' + id, 'data-value', { timeout: STEP_MS });
  return v === '' || v === null ? NaN : Number(v);
}

// Waits until the counter reads `want`.
async function counterBecomes(page, id, want) {
  await page.waitForFunction(([sel, n]) => {
    const el = document.getElementById(sel);
    return el && el.dataset.value === String(n);
  }, [id, want], { timeout: STEP_MS });
}

async function main() {
  const rpc = await Client.connect(RPC_PORT);
  await rpc.call('auth', { token: TOKEN });

  const context = await chromium.launchPersistentContext(PROFILE_DIR, {
    executablePath: process.env.EM_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timeout: 60000
  });
  context.setDefaultTimeout(STEP_MS);
  const page = context.pages()[0] || await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push('console: ' + m.text());
  });

  try {
    await check('the page loads and asks for a token', async () => {
      const res = await page.goto(BASE + '/', { waitUntil: 'load' });
      assert(res && res.status() === 200, 'status ' + (res && res.status()));
      const csp = res.headers()['content-security-policy'] || '';
      assert(csp.includes("default-src 'self'"), 'no CSP: ' + csp);
      await page.waitForSelector('#signin:not([hidden]) #token');
    });

    await check('a wrong token is refused with a message', async () => {
      await page.fill('#token', 'not-a-real-token-0123456789');
      await page.click('#signin-button');
      await page.waitForFunction(() =>
        document.getElementById('signin-error').dataset.key === 'err_unauthorized');
      assert(!(await page.isVisible('#board')), 'board shown after a bad token');
    });

    await check('signing in with the organizer token shows its event', async () => {
      await page.fill('#token', TOKEN);
      await page.click('#signin-button');
      await page.waitForSelector('#board:not([hidden])');
      assert(await page.inputValue('#event') === EVENT, 'event field');
      assert(await page.inputValue('#token') === '', 'token left in the field');
      await page.waitForFunction(() => document.getElementById('c-seller').dataset.value !== '');
      const cookies = await context.cookies(BASE);
      const c = cookies.find((x) => x.name === 'em_session');
      assert(c && c.httpOnly && c.sameSite === 'Strict', 'session cookie ' + JSON.stringify(c));
      const seen = await page.evaluate(() => document.cookie);
      assert(!seen.includes('em_session'), 'the cookie is readable from script');
    });

    await check('the live feed connects', async () => {
      await page.waitForSelector('#live[data-state="live"]');
    });

    await check('counters, charts and tables show the event', async () => {
      assert(await counter(page, 'm-scheduled') > 0, 'no scheduled meetings');
      assert(await counter(page, 'c-checked_in') === 3, 'checked in');
      const bars = await page.locator('#chart-meetings rect.bar').count();
      assert(bars === 8, 'bars: ' + bars);
      const util = await page.locator('#chart-util rect.bar').count();
      assert(util === 8, 'utilization bars: ' + util);
      const countries = await page.locator('#countries tbody tr').count();
      assert(countries >= 5, 'countries: ' + countries);
      const top = await page.textContent('#countries tbody tr:first-child td');
      assert(top.includes('Thailand'), 'top country: ' + top);
      const sectors = await page.locator('#sectors tbody tr').count();
      assert(sectors >= 3, 'sectors: ' + sectors);
    });

    let sellers = NaN;
    await check('a profile.put through the RPC port changes the sellers count', async () => {
      sellers = await counter(page, 'c-seller');
      assert(Number.isFinite(sellers), 'no sellers count');
      await rpc.call('profile.put', {
        event: EVENT, id: 'kh-pepper', side: 'seller', company: 'Kampot Pepper Co',
        country: 'KH', languages: ['km', 'en'], sectors: ['0128'],
        offers: [{ code: '090411' }]
      });
      await counterBecomes(page, 'c-seller', sellers + 1);
      await page.waitForSelector('#feed li.kind-participant');
    });

    await check('a check-in appears in the live feed and the counter', async () => {
      const before = await counter(page, 'c-checked_in');
      await rpc.call('checkin', { event: EVENT, id: 'kh-pepper' });
      await counterBecomes(page, 'c-checked_in', before + 1);
      const item = await page.textContent('#feed li.kind-checkin', { timeout: STEP_MS });
      assert(item.includes('kh-pepper') && item.includes('checked in'), 'feed item: ' + item);
    });

    await check('a meeting change appears in the live feed without its note', async () => {
      const m = await rpc.call('meeting.create', {
        event: EVENT, from: 'kh-pepper', to: 'de-organic', note: 'NOTE-must-not-show'
      });
      await page.waitForFunction((id) => [...document.querySelectorAll('#feed li.kind-meeting')]
        .some((li) => li.textContent.includes(id)), m.meeting, { timeout: STEP_MS });
      const html = await page.content();
      assert(!html.includes('NOTE-must-not-show'), 'the note reached the page');
      assert(!html.includes('@example.org'), 'a contact reached the page');
    });

    await check('the screenshot is taken', async () => {
      await page.waitForTimeout(1300); // let the highlight of changed counters fade
      await page.screenshot({ path: SHOT, fullPage: true });
      assert(fs.statSync(SHOT).size > 10000, 'screenshot too small');
    });

    let ltrLeft = NaN;
    await check('in English the page reads left to right', async () => {
      const r = await page.locator('#title').boundingBox();
      ltrLeft = r.x;
      assert(await page.evaluate(() => document.dir) === 'ltr', 'dir');
      assert(r.x < 60, 'title starts at x=' + r.x);
    });

    await check('switching to Arabic lays the page out right to left', async () => {
      await page.click('button[data-lang="ar"]');
      await page.waitForFunction(() => document.documentElement.lang === 'ar');
      assert(await page.evaluate(() => document.dir) === 'rtl', 'document.dir');
      const vw = await page.evaluate(() => document.documentElement.clientWidth);
      const r = await page.locator('#title').boundingBox();
      assert(vw - (r.x + r.width) < 60, 'title ends ' + (vw - r.x - r.width) + ' px from the right');
      assert(r.x > ltrLeft + 100, 'title did not move right');
      const label = await page.textContent('[data-i18n="sellers"]');
      assert(label === 'البائعون', 'sellers label: ' + label);
      const c = await page.locator('#c-seller').boundingBox();
      const lab = await page.locator('#participants .counter:first-child').boundingBox();
      assert(lab.x + lab.width > vw / 2, 'first counter is not on the right');
      assert(c.x + c.width > vw / 2, 'sellers count is not on the right');
      const top = await page.textContent('#countries tbody tr:first-child td');
      assert(top.includes('تايلاند'), 'country name in Arabic: ' + top);
      if (process.env.EM_SHOT_RTL) {
        await page.screenshot({ path: process.env.EM_SHOT_RTL, fullPage: true });
      }
    });

    await check('switching to Thai shows Thai words, left to right', async () => {
      await page.click('button[data-lang="th"]');
      await page.waitForFunction(() => document.documentElement.lang === 'th');
      assert(await page.evaluate(() => document.dir) === 'ltr', 'dir');
      const label = await page.textContent('[data-i18n="checked_in"]');
      assert(label === 'เช็กอินแล้ว', 'label: ' + label);
      await page.click('button[data-lang="en"]');
    });

    await check('signing out ends the session', async () => {
      await page.click('#signout');
      await page.waitForSelector('#signin:not([hidden])');
      const status = await page.evaluate(async () => (await fetch('/api/session')).status);
      assert(status === 401, 'session after sign-out: ' + status);
    });

    await check('no script errors or policy violations', async () => {
      // 401s the page asked for on purpose are logged by the browser as
      // failed loads; anything else is a problem.
      const real = problems.filter((p) => !/status of 401/.test(p));
      assert(real.length === 0, real.join(' | '));
    });
  } finally {
    rpc.close();
    await context.close();
  }
}

main().catch((e) => {
  failed++;
  console.log('FAIL the test could not run: ' + (e && e.stack ? e.stack : e));
}).finally(() => {
  clearTimeout(watchdog);
  summary();
  process.exit(failed === 0 ? 0 : 1);
});
