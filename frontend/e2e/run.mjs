// Browser tests of the web app: user journeys in headless Chromium against a live
// `relais serve`, axe-core accessibility checks in light and dark themes, and the screenshots
// of docs/screenshots. Started by `cargo xtask test` (xtask/src/web.rs), which provides the
// server, the accounts and these variables:
//   BASE_URL, RELAIS_TOOLS (where playwright-core and axe-core are installed), E2E_TENANT,
//   E2E_{ADMIN,VIEWER,NEWCOMER}_{EMAIL,PASSWORD}, E2E_SCREENSHOTS, E2E_WORK_DIR; optionally
//   E2E_ONLY (a regex of journey names to run).
// Prints one line per check and ends with "N passed, N failed".

import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import crypto from 'node:crypto';
import path from 'node:path';
import assert from 'node:assert/strict';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through cargo xtask test)`);
  return v;
};
const BASE = env('BASE_URL');
const require = createRequire(path.join(env('RELAIS_TOOLS'), 'package.json'));
const { chromium } = require('playwright-core');
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const SHOTS = env('E2E_SCREENSHOTS');
const WORK = env('E2E_WORK_DIR');
const ADMIN = { email: env('E2E_ADMIN_EMAIL'), password: env('E2E_ADMIN_PASSWORD') };
const VIEWER = { email: env('E2E_VIEWER_EMAIL'), password: env('E2E_VIEWER_PASSWORD') };
const NEWCOMER = { email: env('E2E_NEWCOMER_EMAIL'), password: env('E2E_NEWCOMER_PASSWORD') };
const TENANT = env('E2E_TENANT');
// `E2E_ONLY=<regex>` runs only the journeys whose name matches (`cargo xtask test-web`).
const ONLY = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null;
mkdirSync(SHOTS, { recursive: true });

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const TIMEOUT = 10_000;

let passed = 0;
let failed = 0;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

/// A fresh browser profile (no stored session) with a console watch: any script error or
/// unexpected console error fails the journey.
async function newPage(viewport = DESKTOP, colorScheme = 'light') {
  const context = await browser.newContext({ viewport, colorScheme, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.problems = [];
  // Printed as they happen too, so the log shows during which check they came.
  const problem = (text) => {
    page.problems.push(text);
    console.log(`    ! ${text.split('\n')[0]}`);
  };
  page.on('pageerror', (e) => problem(`page error: ${e.message}`));
  page.on('console', (m) => {
    // The browser logs every 4xx answer; the journeys provoke some on purpose.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) {
      problem(`console error: ${m.text()}`);
    }
  });
  return page;
}

/// Runs one journey; a failure is reported with a screenshot and the rest keeps going.
async function journey(name, viewport, colorScheme, body) {
  if (ONLY && !ONLY.test(name)) return;
  const page = await newPage(viewport, colorScheme);
  const checks = [];
  const check = async (label, fn) => {
    await fn();
    checks.push(label);
    console.log(`ok - ${name}: ${label}`);
    passed += 1;
  };
  try {
    await body(page, check);
    assert.deepEqual(page.problems, [], 'no script errors');
  } catch (e) {
    failed += 1;
    const shot = path.join(WORK, `e2e-failure-${name.replace(/\W+/g, '-')}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.log(`not ok - ${name}: ${e.stack || e}`);
    console.log(`    at ${page.url()}; screenshot ${shot}`);
    if (page.problems.length) console.log(`    ${page.problems.join('\n    ')}`);
  } finally {
    await page.context().close();
  }
}

async function signIn(page, who) {
  await page.goto(`${BASE}/login`);
  await page.fill('#login-email', who.email);
  await page.fill('#login-password', who.password);
  await page.click('#login-submit');
}

/// axe-core on the current page: no serious or critical violation.
async function axe(page, label) {
  await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `axe violations on ${label}`);
}

async function shot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/// Calls the API with the page's session, as the app does.
async function api(page, method, url, body) {
  return page.evaluate(async ({ method, url, body }) => {
    const s = JSON.parse(localStorage.getItem('relais.session'));
    const r = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${s.access_token}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, { method, url, body });
}

const theme = (page) => page.evaluate(() => document.documentElement.getAttribute('data-theme'));

await journey('administrator', DESKTOP, 'light', async (page, check) => {
  await check('an anonymous visit lands on the French sign-in page', async () => {
    await page.goto(`${BASE}/organisations`);
    await page.waitForURL(/\/login\?next=%2Forganisations/);
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  });
  await check('the sign-in page passes axe in light and dark themes', async () => {
    await axe(page, 'login (light)');
    await shot(page, 'login-light-desktop');
    await page.selectOption('#auth-theme', 'dark');
    assert.equal(await theme(page), 'dark');
    await axe(page, 'login (dark)');
    await shot(page, 'login-dark-desktop');
    await page.selectOption('#auth-theme', 'system');
    assert.equal(await theme(page), 'light');
  });
  await check('a wrong password shows the error', async () => {
    await page.fill('#login-email', ADMIN.email);
    await page.fill('#login-password', 'not-the-password');
    await page.click('#login-submit');
    const alert = page.locator('#form-error');
    await alert.waitFor();
    assert.match(await alert.innerText(), /mot de passe incorrect/);
    assert.match(page.url(), /\/login/);
  });
  await check('the right password opens the organisations list', async () => {
    await page.fill('#login-password', ADMIN.password);
    await page.click('#login-submit');
    await page.waitForURL(/\/organisations$/);
    await page.getByRole('heading', { name: 'Organisations' }).waitFor();
    await page.locator('#org-empty').waitFor();
  });
  await check('Ctrl+N opens the creation form; an empty name is refused', async () => {
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('Control+n');
    await page.waitForURL(/\/organisations\/new$/);
    await page.fill('#org-name', '');
    await page.click('#org-submit');
    await page.locator('#form-error').waitFor();
    assert.notEqual((await page.locator('#org-name-error').innerText()).trim(), '');
    assert.equal(await page.getAttribute('#org-name', 'aria-invalid'), 'true');
  });
  let orgUrl;
  await check('an organisation is created and opened', async () => {
    await page.fill('#org-name', 'Société Générale Gestion');
    await page.selectOption('#org-type', 'investor');
    await page.selectOption('#org-stage', 'qualification');
    await page.selectOption('#org-category', 'opcvm');
    await page.fill('#org-amount', '1 250 000');
    await page.fill('#org-city', 'Paris');
    await page.fill('#org-email', 'contact@sgg.example');
    await shot(page, 'new-organisation-light-desktop');
    await page.click('#org-submit');
    await page.waitForURL(/\/organisations\/[0-9a-f-]{36}$/);
    orgUrl = page.url();
    await page.getByRole('heading', { name: 'Société Générale Gestion' }).waitFor();
    const text = await page.locator('main').innerText();
    assert.match(text, /1\u202f250\u202f000\u00a0€/);
    assert.match(text, /Qualification/);
    assert.match(await page.locator('.toasts').innerText(), /créée/);
  });
  await check('the contacts and history tabs load', async () => {
    await page.click('#tab-contacts');
    await page.locator('#contacts-empty').waitFor();
    // Add a contact: a missing last name is refused, then the contact shows in the tab.
    await page.click('#contact-add');
    await page.fill('#contact-first', 'Claire');
    await page.click('#contact-submit');
    await page.locator('#form-error').waitFor();
    assert.notEqual((await page.locator('#contact-last-error').innerText()).trim(), '');
    await page.fill('#contact-last', 'Martin');
    await page.fill('#contact-email', 'claire.martin@sgg.example');
    await page.fill('#contact-role', 'Directrice de la distribution');
    await page.click('#contact-submit');
    await page.waitForFunction(() => /Claire Martin/.test(document.querySelector('[role=tabpanel]')?.innerText));
    const contacts = await page.locator('[role=tabpanel]').innerText();
    assert.match(contacts, /Directrice de la distribution/);
    assert.match(contacts, /Principale/);
    assert.equal(await page.locator('#contact-form').count(), 0);
    await page.click('#tab-history');
    await page.locator('#history-list').waitFor();
    assert.match(await page.locator('#history-list').innerText(), /Création/);
    // Arrow keys move between tabs.
    await page.focus('#tab-history');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.getAttribute('#tab-documents', 'aria-selected'), 'true');
    await page.click('#tab-general');
  });
  await check('the mandates, interactions and tasks tabs show related records', async () => {
    const id = orgUrl.split('/').pop();
    const created = await Promise.all([
      api(page, 'POST', '/api/v1/mandates', {
        organisation_id: id, status: 'draft', amount: 1500000.5,
        start_date: '2026-03-01', end_date: '2027-02-28',
      }),
      api(page, 'POST', '/api/v1/interactions', {
        kind: 'meeting', organisation_id: id, occurred_at: '2026-02-03T10:00:00Z',
        summary: 'Présentation de la gamme obligataire, intérêt pour 2 M€.',
      }),
      api(page, 'POST', '/api/v1/tasks', {
        title: 'Relancer après le rendez-vous', priority: 'high',
        due_at: '2020-01-06T09:00:00Z', record_type: 'organisation', record_id: id,
      }),
    ]);
    for (const r of created) assert.equal(r.status, 201, JSON.stringify(r.body));
    await page.click('#tab-mandates');
    await page.waitForFunction(() => /Brouillon/.test(document.querySelector('[role=tabpanel]')?.innerText));
    const mandates = await page.locator('[role=tabpanel]').innerText();
    assert.match(mandates, /1\u202f500\u202f000,50\u00a0€/);
    assert.match(mandates, /1 mars 2026 → 28 févr\. 2027/);
    await page.click('#tab-interactions');
    await page.waitForFunction(() => /Rendez-vous/.test(document.querySelector('[role=tabpanel]')?.innerText));
    assert.match(await page.locator('[role=tabpanel]').innerText(), /gamme obligataire/);
    await page.click('#tab-tasks');
    await page.waitForFunction(() => /Relancer/.test(document.querySelector('[role=tabpanel]')?.innerText));
    const tasks = await page.locator('[role=tabpanel]').innerText();
    assert.match(tasks, /Haute/);
    assert.match(tasks, /En retard/);
    await axe(page, 'organisation tasks (light)');
    await page.click('#tab-general');
  });
  await check('a document is uploaded, downloaded and deleted', async () => {
    const pdf = path.join(WORK, 'proposition-commerciale.pdf');
    writeFileSync(pdf, '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
    await page.click('#tab-documents');
    await page.locator('#documents-empty').waitFor();
    await page.setInputFiles('#doc-file', pdf);
    const row = page.locator('#documents-table tbody tr', { hasText: 'proposition-commerciale.pdf' });
    await row.waitFor();
    assert.match(await row.innerText(), /application\/pdf/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('button', { name: /Télécharger/ }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'proposition-commerciale.pdf');
    await axe(page, 'organisation documents (light)');
    await row.getByRole('button', { name: /Supprimer/ }).click();
    await page.click('#confirm-button');
    await page.locator('#documents-empty').waitFor();
    await page.click('#tab-general');
  });
  await check('an organisation is edited; a concurrent change is caught by its ETag', async () => {
    await page.goto(orgUrl);
    await page.click('#org-edit');
    await page.waitForURL(/\/edit$/);
    await page.waitForFunction(() => document.querySelector('#org-name')?.value === 'Société Générale Gestion');
    assert.equal(await page.inputValue('#org-email'), 'contact@sgg.example');
    await page.fill('#org-city', 'Lyon');
    await page.fill('#org-email', '');
    await page.click('#org-submit');
    await page.waitForURL(orgUrl);
    const general = await page.locator('[role=tabpanel]').innerText();
    assert.match(general, /Lyon/);
    assert.doesNotMatch(general, /contact@sgg\.example/);
    await page.click('#tab-history');
    await page.waitForFunction(() => /Ville\s*Paris → Lyon/.test(document.querySelector('#history-list')?.innerText));
    // Someone else changes the record while the form is open: saving says so.
    await page.click('#org-edit');
    await page.waitForFunction(() => document.querySelector('#org-name')?.value === 'Société Générale Gestion');
    const id = orgUrl.split('/').pop();
    const current = await page.evaluate(async (id) => {
      const s = JSON.parse(localStorage.getItem('relais.session'));
      const r = await fetch(`/api/v1/organisations/${id}`, { headers: { authorization: `Bearer ${s.access_token}` } });
      const etag = r.headers.get('etag');
      const w = await fetch(`/api/v1/organisations/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${s.access_token}`, 'content-type': 'application/json', 'if-match': etag },
        body: JSON.stringify({ notes: 'Modifié ailleurs' }),
      });
      return w.status;
    }, id);
    assert.equal(current, 200);
    await page.fill('#org-postcode', '69002');
    await page.click('#org-submit');
    await page.locator('#form-error').waitFor();
    assert.match(await page.locator('#form-error').innerText(), /changé entre-temps/);
    await page.goto(orgUrl);
  });
  await check('the new contact has a page and is found in the people list', async () => {
    await page.click('a[href="/people"]');
    await page.fill('#people-q', 'martin');
    await page.press('#people-q', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#people-table tbody tr').length === 1);
    await page.click('#people-table a');
    await page.getByRole('heading', { name: 'Claire Martin' }).waitFor();
    const orgs = await page.locator('#person-organisations').innerText();
    assert.match(orgs, /Société Générale Gestion · Directrice de la distribution/);
    await axe(page, 'person (light)');
    await page.click('#person-organisations a');
    await page.getByRole('heading', { name: 'Société Générale Gestion' }).waitFor();
  });
  await check('the mandates and products lists', async () => {
    await page.click('a[href="/mandates"]');
    await page.locator('#mandates-table').waitFor();
    assert.match(await page.locator('#mandates-table').innerText(), /M-\d{4}-\d{3}[\s\S]*Brouillon/);
    await page.selectOption('#list-filter', 'signed');
    await page.locator('#mandates-empty').waitFor();
    const r = await api(page, 'POST', '/api/v1/products', {
      name: 'Relais Obligations Euro', code: 'rel-oblig-01', category: 'opcvm',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await page.click('a[href="/products"]');
    await page.locator('#products-table').waitFor();
    assert.match(await page.locator('#products-table').innerText(), /REL-OBLIG-01/);
    await page.fill('#list-q', 'introuvable');
    await page.press('#list-q', 'Enter');
    await page.locator('#products-empty').waitFor();
    await axe(page, 'products (light)');
  });
  await check('the list filters and sorts', async () => {
    const more = [
      ['Amundi Partenaires', 'issuer', 'prospect', 'Paris'],
      ['Banque Rhône Alpes', 'distributor', 'proposition', 'Lyon'],
      ['Crédit Bordelais', 'investor', 'signed', 'Bordeaux'],
      ['Dupont Patrimoine', 'investor', 'lost', 'Lille'],
      ['Épargne du Nord', 'supplier', 'qualification', 'Lille'],
    ];
    for (const [name, type, stage, city] of more) {
      const r = await api(page, 'POST', '/api/v1/organisations', {
        name, type, pipeline_stage: stage, city, expected_amount: 250000,
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    await page.click('nav a[href="/organisations"]');
    await page.waitForURL(/\/organisations$/);
    const rows = page.locator('#org-table tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('#org-table tbody tr').length === 6);
    await page.selectOption('#filter-stage', 'qualification');
    await page.waitForFunction(() => document.querySelectorAll('#org-table tbody tr').length === 2);
    await page.fill('#filter-city', 'Lille');
    await page.press('#filter-city', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#org-table tbody tr').length === 1);
    assert.match(await rows.first().innerText(), /Épargne du Nord/);
    await page.selectOption('#filter-stage', '');
    await page.fill('#filter-city', '');
    await page.press('#filter-city', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#org-table tbody tr').length === 6);
    // Name, descending: Amundi comes last (whatever the collation does with accents).
    await page.click('th[aria-sort="ascending"] button');
    await page.locator('th[aria-sort="descending"]').waitFor();
    await page.waitForFunction(() =>
      document.querySelector('#org-table tbody tr:last-child a')?.textContent.includes('Amundi'));
    // Expected amount, descending: the 1 250 000 € one first.
    const amount = page.locator('#org-table th', { hasText: 'Montant attendu' }).locator('button');
    await amount.click();
    await amount.click();
    await page.waitForFunction(() =>
      document.querySelector('#org-table tbody tr a')?.textContent.includes('Société'));
    await page.locator('#org-table th[aria-sort] button').first().click();
  });
  await check('the organisations list passes axe in light theme', async () => {
    await axe(page, 'organisations (light)');
    await shot(page, 'organisations-light-desktop');
  });
  await check('a card is dragged across the pipeline, then moved with the keyboard', async () => {
    await page.click('nav a[href="/pipeline"]');
    await page.locator('#board').waitFor();
    const id = orgUrl.split('/').pop();
    const card = `#card-${id}`;
    await page.locator(`#column-qualification ${card}`).waitFor();
    const total = (stage) => page.locator(`#column-${stage} .column-total`).innerText();
    assert.match(await total('qualification'), /1\u202f500\u202f000\u00a0€/);
    assert.match(await total('proposition'), /^250\u202f000\u00a0€$/);
    await page.dragAndDrop(card, '#column-proposition');
    await page.locator(`#column-proposition ${card}`).waitFor();
    await page.waitForFunction(() =>
      /1\u202f500\u202f000/.test(document.querySelector('#column-proposition .column-total').innerText));
    assert.match(await total('qualification'), /^250\u202f000\u00a0€$/);
    // The server has it too (the board shows the move before the answer).
    await page.waitForFunction(async (id) => {
      const s = JSON.parse(localStorage.getItem('relais.session'));
      const r = await fetch(`/api/v1/organisations/${id}`, { headers: { authorization: `Bearer ${s.access_token}` } });
      return (await r.json()).pipeline_stage === 'proposition';
    }, id);
    // The keyboard alternative: the card's "next stage" button.
    await page.locator(`${card} button[aria-label="Déplacer vers Signé"]`).focus();
    await page.keyboard.press('Enter');
    await page.locator(`#column-signed ${card}`).waitFor();
    await page.waitForFunction(async (id) => {
      const s = JSON.parse(localStorage.getItem('relais.session'));
      const r = await fetch(`/api/v1/organisations/${id}`, { headers: { authorization: `Bearer ${s.access_token}` } });
      return (await r.json()).pipeline_stage === 'signed';
    }, id);
    await axe(page, 'pipeline (light)');
    await shot(page, 'pipeline-light-desktop');
    await page.click('nav a[href="/organisations"]');
    await page.locator('#org-table').waitFor();
  });
  await check('my overdue task is listed and completed from the tasks page', async () => {
    await page.click('a[href="/tasks"]');
    await page.locator('#tasks-table').waitFor();
    const row = page.locator('#tasks-table tbody tr', { hasText: 'Relancer après le rendez-vous' });
    assert.match(await row.innerText(), /En retard/);
    await page.click('#tasks-overdue');
    await page.locator('#tasks-overdue[aria-pressed="true"]').waitFor();
    await row.waitFor();
    await axe(page, 'tasks (light)');
    await shot(page, 'tasks-light-desktop');
    await row.getByRole('button', { name: /Terminer/ }).click();
    await page.locator('#tasks-empty').waitFor();
    await page.click('#tasks-all');
    await page.waitForFunction(() => /Terminée/.test(document.querySelector('#tasks-table')?.innerText));
  });
  await check('the settings save the profile name', async () => {
    await page.click('#profile-button');
    await page.click('#settings-link');
    await page.waitForURL(/\/settings$/);
    await page.fill('#settings-name', 'Claire Martin-Durand');
    await page.click('#profile-save');
    await page.waitForFunction(async () => {
      const s = JSON.parse(localStorage.getItem('relais.session'));
      const r = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${s.access_token}` } });
      return (await r.json()).full_name === 'Claire Martin-Durand';
    });
    await page.fill('#settings-current', 'wrong-password-123');
    await page.fill('#settings-new', 'Un mot de passe assez long');
    await page.click('#password-save');
    await page.waitForFunction(() =>
      document.querySelector('#settings-current-error')?.innerText.trim() !== '');
    await axe(page, 'settings (light)');
    await page.click('nav a[href="/organisations"]');
    await page.locator('#org-table').waitFor();
  });
  await check('the administration creates a team, a user and an API key', async () => {
    await page.click('a[href="/admin"]');
    await page.locator('#users-table').waitFor();
    await page.click('#admin-teams');
    await page.fill('#team-name', 'Paris');
    await page.fill('#team-description', 'Clients institutionnels');
    await page.click('#team-submit');
    await page.waitForFunction(() => /Paris/.test(document.querySelector('#teams-table')?.innerText));
    await page.click('#admin-users');
    await page.fill('#user-email', 'bruno@e2e.relais.test');
    await page.fill('#user-name', 'Bruno Petit');
    await page.fill('#user-password', 'court');
    await page.click('#user-submit');
    await page.waitForFunction(() => document.querySelector('#user-password-error')?.innerText.trim() !== '');
    await page.fill('#user-password', 'temporaire-2026-long');
    await page.selectOption('#user-team', { label: 'Paris' });
    await page.click('#user-submit');
    const row = page.locator('#users-table tbody tr', { hasText: 'bruno@e2e.relais.test' });
    await row.waitFor();
    assert.match(await row.innerText(), /Paris/);
    assert.match(await row.innerText(), /Première connexion/);
    await row.getByRole('button', { name: /Désactiver/ }).click();
    await page.click('#confirm-button');
    await page.waitForFunction(() => /Désactivé/.test(
      [...document.querySelectorAll('#users-table tbody tr')].find((r) => /bruno@/.test(r.innerText))?.innerText));
    await row.getByRole('button', { name: /Réactiver/ }).click();
    await page.waitForFunction(() => /Première connexion/.test(
      [...document.querySelectorAll('#users-table tbody tr')].find((r) => /bruno@/.test(r.innerText))?.innerText));
    // Enabling again changed nothing else (the team stays).
    assert.match(await row.innerText(), /Paris/);
    await axe(page, 'administration (light)');
    await shot(page, 'admin-light-desktop');
    await page.click('#admin-api-keys');
    await page.fill('#key-name', 'Synchro ERP');
    await page.click('#key-submit');
    await page.locator('#key-secret').waitFor();
    assert.match(await page.locator('#key-secret code').innerText(), /^rk_/);
    const keyRow = page.locator('#keys-table tbody tr', { hasText: 'Synchro ERP' });
    await keyRow.getByRole('button', { name: /Révoquer/ }).click();
    await page.click('#confirm-button');
    await page.waitForFunction(() => /Révoquée/.test(document.querySelector('#keys-table')?.innerText));
    await page.click('#admin-roles');
    await page.waitForFunction(() => /Lecteur/.test(document.querySelector('#roles-table')?.innerText));
    await page.click('nav a[href="/organisations"]');
    await page.locator('#org-table').waitFor();
  });
  await check('Ctrl+K and / open the search dialog, Esc closes it', async () => {
    await page.locator('h1').click();
    await page.keyboard.press('/');
    await page.locator('#search-dialog').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'search-input');
    await page.keyboard.press('Escape');
    await page.locator('#search-dialog').waitFor({ state: 'detached' });
    await page.keyboard.press('Control+k');
    await page.locator('#search-dialog').waitFor();
    await axe(page, 'search dialog');
    await page.keyboard.press('Escape');
    await page.locator('#search-dialog').waitFor({ state: 'detached' });
  });
  await check('switching to English is saved on the profile', async () => {
    await page.selectOption('#lang-select', 'en');
    await page.getByRole('button', { name: /^Search/ }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.waitForFunction(async () => {
      const s = JSON.parse(localStorage.getItem('relais.session'));
      const r = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${s.access_token}` } });
      return (await r.json()).locale === 'en';
    });
    assert.match(await page.locator('#org-table').innerText(), /€250,000/);
  });
  await check('the dark theme is saved and passes axe', async () => {
    await page.selectOption('#theme-select', 'dark');
    assert.equal(await theme(page), 'dark');
    await page.waitForFunction(async () => {
      const s = JSON.parse(localStorage.getItem('relais.session'));
      const r = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${s.access_token}` } });
      return (await r.json()).theme === 'dark';
    });
    await axe(page, 'organisations (dark)');
    await shot(page, 'organisations-dark-desktop');
  });
  await check('the preferences survive a reload', async () => {
    await page.reload();
    await page.getByRole('button', { name: /^Search/ }).waitFor();
    assert.equal(await theme(page), 'dark');
  });
  await check('the detail page in dark theme passes axe', async () => {
    await page.goto(orgUrl);
    await page.getByRole('heading', { name: 'Société Générale Gestion' }).waitFor();
    await axe(page, 'organisation (dark)');
    await shot(page, 'organisation-dark-desktop');
    await page.click('nav a[href="/pipeline"]');
    await page.locator('#board').waitFor();
    await axe(page, 'pipeline (dark)');
    await shot(page, 'pipeline-dark-desktop');
  });
  await check('at phone width the sidebar collapses behind a menu button', async () => {
    await page.setViewportSize(PHONE);
    await page.goto(`${BASE}/organisations`);
    await page.locator('#org-table').waitFor();
    assert.equal(await page.locator('#sidebar').isVisible(), false);
    await shot(page, 'organisations-dark-phone');
    await page.click('.nav-toggle');
    await page.locator('#sidebar').waitFor({ state: 'visible' });
    await axe(page, 'organisations (dark, phone)');
    await shot(page, 'menu-dark-phone');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('.shell.nav-open'));
    await page.goto(orgUrl);
    await page.getByRole('heading', { name: 'Société Générale Gestion' }).waitFor();
    await shot(page, 'organisation-dark-phone');
    await page.setViewportSize(DESKTOP);
  });
  await check('back to French and light for the next screenshots', async () => {
    await page.selectOption('#lang-select', 'fr');
    await page.selectOption('#theme-select', 'light');
    await page.getByRole('button', { name: /^Rechercher/ }).waitFor();
    await page.click('#tab-history');
    await page.locator('#history-list').waitFor();
    await shot(page, 'organisation-light-desktop');
    await page.setViewportSize(PHONE);
    await page.click('#tab-general');
    await shot(page, 'organisation-light-phone');
    await page.setViewportSize(DESKTOP);
  });
  await check('the list pages with its cursor', async () => {
    for (let i = 1; i <= 20; i += 1) {
      const r = await api(page, 'POST', '/api/v1/organisations', {
        name: `Zeta Conseil ${String(i).padStart(2, '0')}`, type: 'supplier',
      });
      assert.equal(r.status, 201);
    }
    await page.goto(`${BASE}/organisations`);
    await page.waitForFunction(() => document.querySelectorAll('#org-table tbody tr').length === 25);
    assert.equal(await page.isDisabled('#page-prev'), true);
    await page.click('#page-next');
    await page.waitForFunction(() => document.querySelectorAll('#org-table tbody tr').length === 1);
    assert.equal(await page.isDisabled('#page-next'), true);
    await page.click('#page-prev');
    await page.waitForFunction(() => document.querySelectorAll('#org-table tbody tr').length === 25);
  });
  await check('an expired access token is refreshed without signing out', async () => {
    const before = await page.evaluate(() => JSON.parse(localStorage.getItem('relais.session')));
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('relais.session'));
      s.access_token = 'expired.or.forged';
      localStorage.setItem('relais.session', JSON.stringify(s));
    });
    await page.reload();
    await page.locator('#org-table').waitFor();
    assert.match(page.url(), /\/organisations$/);
    const after = await page.evaluate(() => JSON.parse(localStorage.getItem('relais.session')));
    assert.notEqual(after.access_token, 'expired.or.forged');
    assert.notEqual(after.refresh_token, before.refresh_token);
  });
  await check('an organisation is duplicated, then deleted after confirmation', async () => {
    await page.goto(orgUrl);
    await page.click('#org-duplicate');
    await page.getByRole('heading', { name: 'Société Générale Gestion (copie)' }).waitFor();
    assert.notEqual(page.url(), orgUrl);
    await page.click('#org-delete');
    await page.locator('#confirm-dialog').waitFor();
    // The cancel button has the focus: Enter or Esc never deletes by accident.
    await page.keyboard.press('Escape');
    await page.locator('#confirm-dialog').waitFor({ state: 'detached' });
    await page.click('#org-delete');
    await page.click('#confirm-button');
    await page.waitForURL(/\/organisations$/);
    assert.match(await page.locator('.toasts').innerText(), /corbeille/);
  });
  await check('bulk actions change the stage of, then delete, the selected rows', async () => {
    await page.fill('#filter-city', 'Lille');
    await page.press('#filter-city', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('#org-table tbody tr').length === 2);
    await page.check('#select-page');
    await page.locator('#bulk-bar').waitFor();
    assert.match(await page.locator('#bulk-bar').innerText(), /2 sélectionnée/);
    await page.selectOption('#bulk-stage', 'signed');
    await page.click('#bulk-stage-apply');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#org-table tbody tr')].every((r) => /Signé/.test(r.innerText)));
    assert.equal(await page.locator('#bulk-bar').count(), 0);
    await page.check('#select-page');
    await page.click('#bulk-delete');
    await page.click('#confirm-button');
    await page.locator('#org-empty').waitFor();
    await page.fill('#filter-city', '');
    await page.press('#filter-city', 'Enter');
    await page.locator('#org-table').waitFor();
  });
  await check('signing out ends the session', async () => {
    await page.click('#profile-button');
    await page.click('#logout-button');
    await page.waitForURL(/\/login$/);
    assert.equal(await page.evaluate(() => localStorage.getItem('relais.session')), null);
    await page.goto(`${BASE}/organisations`);
    await page.waitForURL(/\/login\?next=/);
  });
});

await journey('viewer', DESKTOP, 'dark', async (page, check) => {
  await check('a viewer reads the list without a create button', async () => {
    await signIn(page, VIEWER);
    await page.waitForURL(/\/organisations$/);
    await page.locator('#org-table').waitFor();
    assert.equal(await page.locator('#org-new').count(), 0);
    await page.locator('h1').click();
    await page.keyboard.press('Control+n');
    await page.waitForTimeout(300);
    assert.match(page.url(), /\/organisations$/);
  });
  await check('the creation form is refused to a viewer', async () => {
    await page.goto(`${BASE}/organisations/new`);
    await page.locator('#not-allowed').waitFor();
    assert.equal(await page.locator('#org-form').count(), 0);
  });
  await check('a viewer reads the directory in administration without changing it', async () => {
    await page.goto(`${BASE}/admin`);
    await page.locator('#users-table').waitFor();
    assert.equal(await page.locator('#user-form').count(), 0);
    assert.equal(await page.locator('#users-table button').count(), 0);
    assert.equal(await page.locator('#admin-api-keys').count(), 0);
    await axe(page, 'administration (viewer, dark)');
  });
  await check('a viewer sees the pipeline without move controls', async () => {
    await page.goto(`${BASE}/pipeline`);
    await page.locator('#board .card-item').first().waitFor();
    assert.equal(await page.locator('#board .card-moves').count(), 0);
    assert.equal(await page.locator('#board [draggable="true"]').count(), 0);
  });
  await check('a viewer has no selection, duplicate or delete', async () => {
    await page.goto(`${BASE}/organisations`);
    await page.locator('#org-table').waitFor();
    assert.equal(await page.locator('#select-page').count(), 0);
    await page.locator('#org-table tbody a').first().click();
    await page.locator('#tab-general').waitFor();
    await page.click('#tab-contacts');
    await page.locator('[role=tabpanel] table, #contacts-empty').first().waitFor();
    assert.equal(await page.locator('#contact-add').count(), 0);
    assert.equal(await page.locator('#org-duplicate').count(), 0);
    assert.equal(await page.locator('#org-delete').count(), 0);
    await axe(page, 'organisation (viewer, dark)');
  });
});

// The edit screens: each journey makes the records it needs through the API first (so that
// E2E_ONLY can run it alone), then works through the interface as a user would.

/// An administrator's API session from node, for setting up a journey's records.
async function adminApi() {
  const login = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...ADMIN, tenant: TENANT }),
  });
  assert.equal(login.status, 200, 'administrator sign-in for the set-up');
  const { access_token: token } = await login.json();
  return async (method, url, body) => {
    const r = await fetch(`${BASE}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const out = await r.json().catch(() => null);
    return { status: r.status, body: out };
  };
}

/// Creates a record through the API and returns it.
async function make(call, url, body) {
  const r = await call('POST', url, body);
  assert.equal(r.status, 201, `${url}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/// Chooses a record in a picker: search for `text`, then select the matching option.
async function pick(page, id, text) {
  await page.fill(`#${id}-q`, text);
  const option = page.locator(`#${id} option`, { hasText: text }).first();
  await option.waitFor({ state: 'attached' });
  await page.selectOption(`#${id}`, await option.getAttribute('value'));
}

const optionValues = (page, sel) => page.$$eval(`${sel} option`, (os) => os.map((o) => o.value));
const toastText = (page) => page.locator('.toasts').innerText();
const focusedId = (page) => page.evaluate(() => document.activeElement?.id || '');
const focusInside = (page, sel) => page.evaluate((s) => !!document.querySelector(s)?.contains(document.activeElement), sel);

async function mandateFormJourney() {
  await journey('mandate form', DESKTOP, 'light', async (page, check) => {
    const call = await adminApi();
    const org = await make(call, '/api/v1/organisations', { name: 'Lumière Gestion Privée', type: 'investor', city: 'Nantes' });
    const fund = await make(call, '/api/v1/products', { name: 'Lumière Actions Europe', code: 'LUM-ACT-EU', category: 'opcvm' });
    const bond = await make(call, '/api/v1/products', { name: 'Lumière Obligations 2030', code: 'LUM-OBL-30', category: 'opcvm' });
    await signIn(page, ADMIN);
    await page.waitForURL(/\/organisations$/);
    let url;
    await check('Ctrl+N on the mandates list opens the creation form', async () => {
      await page.click('nav a[href="/mandates"]');
      await page.locator('#mandate-new').waitFor();
      await page.locator('h1').click();
      await page.keyboard.press('Control+n');
      await page.waitForURL(/\/mandates\/new$/);
      assert.deepEqual(await optionValues(page, '#mandate-status'), ['draft', 'proposed', 'signed', 'active', 'terminated']);
    });
    await check('a mandate without organisation, then ending before it starts, is refused', async () => {
      await page.click('#mandate-submit');
      await page.waitForFunction(() => document.querySelector('#mandate-organisation-error')?.innerText.trim() !== '');
      assert.equal(await page.getAttribute('#mandate-organisation', 'aria-invalid'), 'true');
      await pick(page, 'mandate-organisation', 'Lumière Gestion Privée');
      await page.fill('#mandate-amount', '2 500 000');
      await page.fill('#mandate-start', '2027-01-01');
      await page.fill('#mandate-end', '2026-06-30');
      await page.check(`#mandate-product-${fund.id}`);
      await page.click('#mandate-submit');
      await page.waitForFunction(() => /précède/.test(document.querySelector('#mandate-end-error')?.innerText));
      assert.match(await page.locator('#form-error').innerText(), /corriger/);
      assert.match(page.url(), /\/mandates\/new$/);
    });
    await check('the mandate is created with its number and covered product', async () => {
      await page.fill('#mandate-end', '2027-12-31');
      await axe(page, 'new mandate (light)');
      await page.click('#mandate-submit');
      await page.waitForURL(/\/mandates\/[0-9a-f-]{36}$/);
      url = page.url();
      await page.getByRole('heading', { name: /^Mandat M-\d{4}-\d{3}$/ }).waitFor();
      assert.match(await toastText(page), /Mandat M-\d{4}-\d{3} créé/);
      assert.equal(await page.isChecked(`#mandate-product-${fund.id}`), true);
      assert.equal(await page.isChecked(`#mandate-product-${bond.id}`), false);
      assert.equal(await page.inputValue('#mandate-amount'), '2\u202f500\u202f000');
      // A draft moves only where the flow allows.
      assert.deepEqual(await optionValues(page, '#mandate-status'), ['draft', 'proposed', 'signed', 'terminated']);
    });
    await check('the mandate is signed and its products changed', async () => {
      await page.selectOption('#mandate-status', 'signed');
      await page.uncheck(`#mandate-product-${fund.id}`);
      await page.check(`#mandate-product-${bond.id}`);
      await page.fill('#mandate-notes', 'Signé en comité du 12 janvier.');
      await page.click('#mandate-submit');
      await page.locator('#mandate-signed-at').waitFor();
      assert.match(await toastText(page), /enregistré/);
      assert.deepEqual(await optionValues(page, '#mandate-status'), ['signed', 'active', 'terminated']);
      const id = url.split('/').pop();
      const saved = await call('GET', `/api/v1/mandates/${id}`);
      assert.equal(saved.body.status, 'signed');
      assert.deepEqual(saved.body.product_ids, [bond.id]);
      assert.equal(saved.body.notes, 'Signé en comité du 12 janvier.');
      assert.equal(saved.body.amount, 2500000);
      await shot(page, 'mandate-light-desktop');
    });
    await check('the organisation lists the mandate and opens a new one for itself', async () => {
      await page.click('#mandate-org-link');
      await page.getByRole('heading', { name: 'Lumière Gestion Privée' }).waitFor();
      await page.click('#tab-mandates');
      await page.waitForFunction(() => /Signé/.test(document.querySelector('[role=tabpanel]')?.innerText));
      await page.click('#org-new-mandate');
      await page.waitForURL(/\/mandates\/new\?organisation=/);
      await page.waitForFunction(() => /Lumière Gestion Privée/.test(
        document.querySelector('#mandate-organisation option:checked')?.textContent));
    });
  });
}

async function productFormJourney() {
  await journey('product form', DESKTOP, 'light', async (page, check) => {
    await signIn(page, ADMIN);
    await page.waitForURL(/\/organisations$/);
    await check('a product with a wrong ISIN check digit is refused', async () => {
      await page.click('nav a[href="/products"]');
      await page.click('#product-new');
      await page.waitForURL(/\/products\/new$/);
      await page.fill('#product-name', 'Carmignac Patrimoine A');
      await page.fill('#product-code', 'FR0010135104');
      await page.click('#product-submit');
      await page.waitForFunction(() => /ISIN/.test(document.querySelector('#product-code-error')?.innerText));
      assert.equal(await page.getAttribute('#product-code', 'aria-invalid'), 'true');
    });
    await check('the product is created, then edited', async () => {
      await page.fill('#product-code', 'FR0010135103');
      await page.selectOption('#product-category', 'opcvm');
      await page.click('#product-submit');
      await page.waitForURL(/\/products\/[0-9a-f-]{36}$/);
      await page.getByRole('heading', { name: 'Carmignac Patrimoine A' }).waitFor();
      await page.fill('#product-name', 'Carmignac Patrimoine A EUR Acc');
      await page.uncheck('#product-active');
      await page.click('#product-submit');
      await page.getByRole('heading', { name: 'Carmignac Patrimoine A EUR Acc' }).waitFor();
      await axe(page, 'product (light)');
      await page.click('.crumbs a[href="/products"]');
      const row = page.locator('#products-table tbody tr', { hasText: 'Carmignac Patrimoine A EUR Acc' });
      await row.waitFor();
      assert.match(await row.innerText(), /FR0010135103[\s\S]*ISIN[\s\S]*OPCVM[\s\S]*Inactive/);
    });
    await check('the product is deleted, restored from the trash, and back in the list', async () => {
      await page.click('#products-table a:text("Carmignac Patrimoine A EUR Acc")');
      await page.click('#product-delete');
      await page.click('#confirm-button');
      await page.waitForURL(/\/products$/);
      await page.click('nav a[href="/trash"]');
      await page.click('#trash-products');
      const row = page.locator('#trash-table tbody tr', { hasText: 'Carmignac Patrimoine A EUR Acc' });
      await row.waitFor();
      assert.match(await row.innerText(), /FR0010135103[\s\S]*30/);
      await axe(page, 'trash (light)');
      await shot(page, 'trash-light-desktop');
      await row.getByRole('button', { name: /^Restaurer/ }).click();
      await page.locator('#trash-empty').waitFor();
      assert.match(await toastText(page), /restauré/);
      await page.click('nav a[href="/products"]');
      await page.locator('#products-table tbody tr', { hasText: 'Carmignac Patrimoine A EUR Acc' }).waitFor();
    });
  });
}

async function trashJourney() {
  await journey('trash', DESKTOP, 'dark', async (page, check) => {
    const call = await adminApi();
    const keep = await make(call, '/api/v1/organisations', { name: 'Corbeille Restaurée SA', type: 'supplier' });
    const gone = await make(call, '/api/v1/organisations', { name: 'Corbeille Effacée SA', type: 'supplier' });
    const task = await make(call, '/api/v1/tasks', { title: 'Tâche à restaurer' });
    for (const path of [`/api/v1/organisations/${keep.id}`, `/api/v1/organisations/${gone.id}`, `/api/v1/tasks/${task.id}`]) {
      assert.equal((await call('DELETE', path)).status, 204);
    }
    await signIn(page, ADMIN);
    await page.waitForURL(/\/organisations$/);
    await check('deleted organisations are listed and one is restored', async () => {
      // The administrator's saved theme is light: switch to dark for this journey.
      await page.selectOption('#theme-select', 'dark');
      assert.equal(await theme(page), 'dark');
      await page.click('nav a[href="/trash"]');
      const row = page.locator('#trash-table tbody tr', { hasText: 'Corbeille Restaurée SA' });
      await row.waitFor();
      await axe(page, 'trash (dark)');
      await shot(page, 'trash-dark-desktop');
      await row.getByRole('button', { name: /^Restaurer/ }).click();
      await row.waitFor({ state: 'detached' });
      const back = await call('GET', `/api/v1/organisations/${keep.id}`);
      assert.equal(back.status, 200);
      assert.equal(back.body.deleted_at, undefined);
    });
    await check('erasing asks first; Tab stays in the dialog; Esc gives the focus back', async () => {
      const row = page.locator('#trash-table tbody tr', { hasText: 'Corbeille Effacée SA' });
      const erase = row.getByRole('button', { name: /^Supprimer définitivement/ });
      await erase.click();
      await page.locator('#confirm-dialog').waitFor();
      // The cancel button has the focus; Tab goes to the erase button, then wraps.
      await page.keyboard.press('Tab');
      assert.equal(await focusedId(page), 'confirm-button');
      await page.keyboard.press('Tab');
      assert.equal(await focusInside(page, '#confirm-dialog'), true);
      await page.keyboard.press('Shift+Tab');
      assert.equal(await focusedId(page), 'confirm-button');
      await page.keyboard.press('Escape');
      await page.locator('#confirm-dialog').waitFor({ state: 'detached' });
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Supprimer définitivement Corbeille Effacée SA');
      await erase.click();
      await page.click('#confirm-button');
      await row.waitFor({ state: 'detached' });
      assert.equal((await call('GET', `/api/v1/organisations/${gone.id}`)).status, 404);
    });
    await check('the tasks trash restores a task', async () => {
      await page.click('#trash-tasks');
      const row = page.locator('#trash-table tbody tr', { hasText: 'Tâche à restaurer' });
      await row.getByRole('button', { name: /^Restaurer/ }).click();
      await page.locator('#trash-empty').waitFor();
      assert.equal((await call('GET', `/api/v1/tasks/${task.id}`)).status, 200);
      await page.selectOption('#theme-select', 'light');
      await page.waitForFunction(async () => {
        const s = JSON.parse(localStorage.getItem('relais.session'));
        const r = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${s.access_token}` } });
        return (await r.json()).theme === 'light';
      });
    });
  });
}

async function interactionFormJourney() {
  await journey('interaction form', DESKTOP, 'light', async (page, check) => {
    const call = await adminApi();
    const org = await make(call, '/api/v1/organisations', { name: 'Rhône Patrimoine', type: 'distributor' });
    const person = await make(call, '/api/v1/people', {
      first_name: 'Hélène', last_name: 'Garnier', email: 'helene.garnier@rhone.example',
      organisations: [{ organisation_id: org.id, is_primary: true }],
    });
    await signIn(page, ADMIN);
    await page.waitForURL(/\/organisations$/);
    await check('an interaction without a summary is refused', async () => {
      await page.goto(`${BASE}/organisations/${org.id}`);
      await page.click('#tab-interactions');
      await page.click('#org-new-interaction');
      await page.waitForURL(/\/interactions\/new\?organisation=/);
      await page.waitForFunction(() => /Rhône Patrimoine/.test(
        document.querySelector('#interaction-organisation option:checked')?.textContent));
      await page.click('#interaction-submit');
      await page.waitForFunction(() => document.querySelector('#interaction-summary-error')?.innerText.trim() !== '');
      await axe(page, 'new interaction (light)');
    });
    await check('the interaction is recorded with the organisation and a contact', async () => {
      await page.selectOption('#interaction-kind', 'meeting');
      await page.fill('#interaction-occurred', '2026-11-20T10:30');
      await pick(page, 'interaction-person', 'Garnier');
      await page.fill('#interaction-summary', 'Rendez-vous annuel : point sur les encours.');
      await page.click('#interaction-submit');
      await page.waitForURL(new RegExp(`/organisations/${org.id}$`));
      await page.click('#tab-interactions');
      await page.waitForFunction(() => /point sur les encours/.test(document.querySelector('[role=tabpanel]')?.innerText));
      assert.match(await page.locator('[role=tabpanel]').innerText(), /Rendez-vous/);
    });
    await check('the interaction is edited from the contact page', async () => {
      await page.goto(`${BASE}/people/${person.id}`);
      await page.locator('#person-interactions a').first().click();
      await page.waitForURL(/\/interactions\/[0-9a-f-]{36}$/);
      await page.waitForFunction(() => document.querySelector('#interaction-summary')?.value.includes('encours'));
      assert.equal(await page.inputValue('#interaction-occurred'), '2026-11-20T10:30');
      await page.selectOption('#interaction-kind', 'call');
      await page.fill('#interaction-summary', 'Appel de suivi : documentation envoyée.');
      await page.click('#interaction-submit');
      await page.waitForFunction(() => /enregistrée/.test(document.querySelector('.toasts')?.innerText));
      const list = await call('GET', `/api/v1/interactions?person_id=${person.id}`);
      assert.equal(list.body.items.length, 1);
      assert.equal(list.body.items[0].kind, 'call');
      assert.equal(list.body.items[0].organisation_id, org.id);
      assert.equal(list.body.items[0].occurred_at, new Date(2026, 10, 20, 10, 30).toISOString().replace('.000Z', 'Z'));
    });
  });
}

async function taskFormJourney() {
  await journey('task form', DESKTOP, 'light', async (page, check) => {
    const call = await adminApi();
    const org = await make(call, '/api/v1/organisations', { name: 'Atlantique Conseil', type: 'investor' });
    const users = (await call('GET', '/api/v1/users?limit=200')).body.items;
    const viewer = users.find((u) => u.email === VIEWER.email);
    const me = users.find((u) => u.email === ADMIN.email);
    await signIn(page, ADMIN);
    await page.waitForURL(/\/organisations$/);
    let url;
    await check('a task without a title is refused', async () => {
      await page.click('nav a[href="/tasks"]');
      await page.click('#task-new');
      await page.waitForURL(/\/tasks\/new$/);
      await page.waitForFunction((id) => document.querySelector('#task-assignee')?.value === id, me.id);
      await page.click('#task-submit');
      await page.waitForFunction(() => document.querySelector('#task-title-error')?.innerText.trim() !== '');
      assert.equal(await page.getAttribute('#task-title', 'aria-invalid'), 'true');
    });
    await check('a task about an organisation is created for someone else', async () => {
      await page.fill('#task-title', 'Préparer la revue trimestrielle');
      await page.fill('#task-due', '2027-01-15T09:00');
      await page.selectOption('#task-priority', 'high');
      await page.selectOption('#task-assignee', viewer.id);
      await page.selectOption('#task-record-type', 'organisation');
      await pick(page, 'task-record', 'Atlantique Conseil');
      await page.fill('#task-description', 'Rassembler les performances et les encours.');
      await axe(page, 'new task (light)');
      await page.click('#task-submit');
      await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
      url = page.url();
      await page.getByRole('heading', { name: 'Préparer la revue trimestrielle' }).waitFor();
      const t = (await call('GET', `/api/v1/tasks/${url.split('/').pop()}`)).body;
      assert.equal(t.assignee_id, viewer.id);
      assert.equal(t.priority, 'high');
      assert.equal(t.record_id, org.id);
      assert.equal(t.due_at, new Date(2027, 0, 15, 9, 0).toISOString().replace('.000Z', 'Z'));
    });
    await check('the task is reassigned and started', async () => {
      await page.selectOption('#task-assignee', me.id);
      await page.selectOption('#task-status', 'in_progress');
      await page.click('#task-submit');
      await page.waitForFunction(() => /enregistrée/.test(document.querySelector('.toasts')?.innerText));
      const t = (await call('GET', `/api/v1/tasks/${url.split('/').pop()}`)).body;
      assert.equal(t.assignee_id, me.id);
      assert.equal(t.status, 'in_progress');
      await page.click('#task-record-link');
      await page.getByRole('heading', { name: 'Atlantique Conseil' }).waitFor();
      await page.click('#tab-tasks');
      await page.waitForFunction(() => /En cours/.test(document.querySelector('[role=tabpanel]')?.innerText));
      await page.click('nav a[href="/tasks"]');
      const row = page.locator('#tasks-table tbody tr', { hasText: 'Préparer la revue trimestrielle' });
      await row.waitFor();
      assert.match(await row.innerText(), /En cours[\s\S]*Haute/);
    });
  });
}

async function personFormJourney() {
  await journey('person form and links', DESKTOP, 'light', async (page, check) => {
    const call = await adminApi();
    const first = await make(call, '/api/v1/organisations', { name: 'Garonne Gestion', type: 'investor' });
    const second = await make(call, '/api/v1/organisations', { name: 'Loire Finance', type: 'distributor' });
    await signIn(page, ADMIN);
    await page.waitForURL(/\/organisations$/);
    await check('a contact without a last name is refused', async () => {
      await page.click('nav a[href="/people"]');
      await page.click('#person-new');
      await page.waitForURL(/\/people\/new$/);
      await page.fill('#person-first', 'Julien');
      await page.click('#person-submit');
      await page.waitForFunction(() => document.querySelector('#person-last-error')?.innerText.trim() !== '');
    });
    await check('the contact is created with an organisation', async () => {
      await page.fill('#person-last', 'Moreau');
      await page.fill('#person-email', 'julien.moreau@garonne.example');
      await pick(page, 'person-organisation', 'Garonne Gestion');
      await page.fill('#person-role', 'Gérant');
      await page.click('#person-submit');
      await page.waitForURL(/\/people\/[0-9a-f-]{36}$/);
      await page.getByRole('heading', { name: 'Julien Moreau' }).waitFor();
      await page.locator('#person-organisations').waitFor();
      assert.match(await page.locator('#person-organisations').innerText(), /Garonne Gestion · Gérant[\s\S]*Principale/);
    });
    await check('a bad email is refused on edit, then the contact is saved', async () => {
      await page.click('#person-edit');
      await page.waitForURL(/\/edit$/);
      await page.waitForFunction(() => document.querySelector('#person-last')?.value === 'Moreau');
      await page.fill('#person-email', 'pas-une-adresse');
      await page.fill('#person-job', 'Directeur de la gestion');
      await page.click('#person-submit');
      await page.waitForFunction(() => document.querySelector('#person-email-error')?.innerText.trim() !== '');
      await page.fill('#person-email', 'j.moreau@garonne.example');
      await page.click('#person-submit');
      await page.waitForURL(/\/people\/[0-9a-f-]{36}$/);
      await page.getByRole('heading', { name: 'Julien Moreau' }).waitFor();
      await page.waitForFunction(() => /j\.moreau@garonne\.example/.test(document.querySelector('main')?.innerText));
      assert.match(await page.locator('main').innerText(), /Directeur de la gestion/);
    });
    await check('a second organisation is linked as primary, edited, then unlinked', async () => {
      await page.click('#link-add');
      await page.click('#link-submit');
      await page.waitForFunction(() => document.querySelector('#link-organisation-error')?.innerText.trim() !== '');
      await pick(page, 'link-organisation', 'Loire Finance');
      await page.fill('#link-role', 'Administrateur');
      await page.check('#link-primary');
      await page.click('#link-submit');
      await page.waitForFunction(() => /Loire Finance · Administrateur/.test(document.querySelector('#person-organisations')?.innerText));
      const loire = page.locator('#person-organisations li', { hasText: 'Loire Finance' });
      assert.match(await loire.innerText(), /Principale/);
      assert.doesNotMatch(await page.locator('#person-organisations li', { hasText: 'Garonne' }).innerText(), /Principale/);
      await axe(page, 'person with links (light)');
      await loire.getByRole('button', { name: /^Modifier/ }).click();
      await page.fill('#link-edit-role', 'Président du conseil');
      await page.click('#link-edit-submit');
      await page.waitForFunction(() => /Loire Finance · Président du conseil/.test(document.querySelector('#person-organisations')?.innerText));
      const garonne = page.locator('#person-organisations li', { hasText: 'Garonne Gestion' });
      await garonne.getByRole('button', { name: /^Délier/ }).click();
      await page.click('#confirm-button');
      await garonne.waitFor({ state: 'detached' });
      const links = await call('GET', `/api/v1/organisations/${first.id}/people`);
      assert.equal(links.body.items.length, 0);
      const other = await call('GET', `/api/v1/organisations/${second.id}/people`);
      assert.equal(other.body.items[0].role, 'Président du conseil');
    });
  });
}

async function administrationJourney() {
  await journey('roles, users and teams', DESKTOP, 'light', async (page, check) => {
    const call = await adminApi();
    const roles = (await call('GET', '/api/v1/roles')).body;
    const userRole = roles.find((r) => r.key === 'user');
    const clerk = await make(call, '/api/v1/users', {
      email: 'lucie.roux@e2e.relais.test', full_name: 'Lucie Roux',
      password: 'temporaire-2026-lucie', role_id: userRole.id,
    });
    await make(call, '/api/v1/teams', { name: 'Bordeaux', description: 'Sud-Ouest' });
    await signIn(page, ADMIN);
    await page.waitForURL(/\/organisations$/);
    let roleUrl;
    await check('the role editor refuses a bad key, then creates a custom role', async () => {
      await page.goto(`${BASE}/admin?section=roles`);
      await page.click('#role-new');
      await page.waitForURL(/\/admin\/roles\/new$/);
      await page.fill('#role-name', 'Direction commerciale');
      await page.waitForFunction(() => document.querySelector('#role-key')?.value === 'direction-commerciale');
      await page.fill('#role-key', 'Direction !');
      await page.selectOption('#role-copy', { label: 'Lecteur' });
      assert.equal(await page.inputValue('#grant-organisations-read'), 'all');
      assert.equal(await page.inputValue('#grant-organisations-update'), '');
      await page.selectOption('#grant-organisations-update', 'team');
      await page.selectOption('#grant-tasks-create', 'own');
      await page.click('#role-submit');
      await page.waitForFunction(() => document.querySelector('#role-key-error')?.innerText.trim() !== '');
      await page.fill('#role-key', 'direction');
      await axe(page, 'role editor (light)');
      await shot(page, 'role-editor-light-desktop');
      await page.click('#role-submit');
      await page.waitForURL(/\/admin\/roles\/[0-9a-f-]{36}$/);
      roleUrl = page.url();
      await page.getByRole('heading', { name: 'Direction commerciale' }).waitFor();
      const role = (await call('GET', `/api/v1/roles/${roleUrl.split('/').pop()}`)).body;
      assert.equal(role.key, 'direction');
      const has = (res, act, scope) => role.grants.some((g) => g.resource === res && g.action === act && g.scope === scope);
      assert.ok(has('organisations', 'update', 'team') && has('tasks', 'create', 'own') && has('people', 'read', 'all'));
      assert.ok(!role.grants.some((g) => g.action === 'delete'));
    });
    await check('the custom role is edited; a built-in role is read only', async () => {
      await page.selectOption('#grant-mandates-update', 'all');
      await page.selectOption('#grant-tasks-create', '');
      await page.click('#role-submit');
      await page.waitForFunction(() => /enregistré/.test(document.querySelector('.toasts')?.innerText));
      const role = (await call('GET', `/api/v1/roles/${roleUrl.split('/').pop()}`)).body;
      assert.ok(role.grants.some((g) => g.resource === 'mandates' && g.action === 'update' && g.scope === 'all'));
      assert.ok(!role.grants.some((g) => g.resource === 'tasks' && g.action === 'create'));
      await page.goto(`${BASE}/admin?section=roles`);
      await page.click('#roles-table a:text("Administrateur")');
      await page.locator('#role-builtin').waitFor();
      assert.equal(await page.locator('#role-submit').count(), 0);
      assert.equal(await page.isDisabled('#grant-users-manage'), true);
      assert.equal(await page.inputValue('#grant-users-manage'), 'all');
    });
    const row = () => page.locator('#users-table tbody tr', { hasText: 'lucie.roux@e2e.relais.test' });
    await check('the user dialog keeps Tab inside and gives the focus back on Esc', async () => {
      await page.goto(`${BASE}/admin`);
      const edit = row().getByRole('button', { name: 'Modifier lucie.roux@e2e.relais.test' });
      await edit.click();
      await page.locator('#user-edit-dialog').waitFor();
      await page.waitForFunction(() => !document.querySelector('#user-edit-submit')?.disabled);
      assert.equal(await focusInside(page, '#user-edit-dialog'), true);
      for (let i = 0; i < 8; i += 1) {
        await page.keyboard.press('Tab');
        assert.equal(await focusInside(page, '#user-edit-dialog'), true, `Tab ${i + 1} left the dialog`);
      }
      await page.focus('#user-edit-name');
      await page.keyboard.press('Shift+Tab');
      assert.equal(await focusedId(page), 'user-edit-submit');
      await page.keyboard.press('Tab');
      assert.equal(await focusedId(page), 'user-edit-name');
      await axe(page, 'user dialog (light)');
      await page.keyboard.press('Escape');
      await page.locator('#user-edit-dialog').waitFor({ state: 'detached' });
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Modifier lucie.roux@e2e.relais.test');
    });
    await check("a user's role and team are changed", async () => {
      await row().getByRole('button', { name: 'Modifier lucie.roux@e2e.relais.test' }).click();
      await page.waitForFunction(() => !document.querySelector('#user-edit-submit')?.disabled);
      await page.selectOption('#user-edit-role', { label: 'Direction commerciale' });
      await page.selectOption('#user-edit-team', { label: 'Bordeaux' });
      await page.click('#user-edit-submit');
      await page.locator('#user-edit-dialog').waitFor({ state: 'detached' });
      await page.waitForFunction(() => /Direction commerciale[\s\S]*Bordeaux/.test(
        [...document.querySelectorAll('#users-table tbody tr')].find((r) => /lucie\.roux@/.test(r.innerText))?.innerText));
      const u = (await call('GET', `/api/v1/users/${clerk.id}`)).body;
      assert.equal(u.role_id, roleUrl.split('/').pop());
    });
    await check("an administrator sets a user's temporary password", async () => {
      await row().getByRole('button', { name: /^Réinitialiser le mot de passe/ }).click();
      await page.locator('#password-dialog').waitFor();
      await page.fill('#user-new-password', 'court');
      await page.click('#password-submit');
      await page.waitForFunction(() => document.querySelector('#user-new-password-error')?.innerText.trim() !== '');
      await page.fill('#user-new-password', 'nouveau-temporaire-2026');
      await page.click('#password-submit');
      await page.locator('#password-dialog').waitFor({ state: 'detached' });
      assert.match(await toastText(page), /Mot de passe temporaire défini/);
      const login = await fetch(`${BASE}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'lucie.roux@e2e.relais.test', password: 'nouveau-temporaire-2026', tenant: TENANT }),
      });
      assert.equal(login.status, 200);
      assert.equal((await login.json()).user.must_change_password, true);
    });
    await check('a team is renamed, then deleted', async () => {
      await page.click('#admin-teams');
      const team = page.locator('#teams-table tbody tr', { hasText: 'Bordeaux' });
      await team.getByRole('button', { name: "Modifier l'équipe Bordeaux" }).click();
      await page.waitForFunction(() => document.querySelector('#team-edit-name')?.value === 'Bordeaux');
      await page.fill('#team-edit-name', 'Bordeaux Atlantique');
      await page.click('#team-edit-submit');
      const renamed = page.locator('#teams-table tbody tr', { hasText: 'Bordeaux Atlantique' });
      await renamed.waitFor();
      await renamed.getByRole('button', { name: /^Supprimer l'équipe/ }).click();
      await page.click('#confirm-button');
      await renamed.waitFor({ state: 'detached' });
      const u = (await call('GET', `/api/v1/users/${clerk.id}`)).body;
      assert.equal(u.team_id, null);
    });
  });
}

async function viewerEditScreensJourney() {
  await journey('viewer on the edit screens', DESKTOP, 'dark', async (page, check) => {
    const call = await adminApi();
    const org = await make(call, '/api/v1/organisations', { name: 'Lecture Seule SA', type: 'issuer' });
    const product = await make(call, '/api/v1/products', { name: 'Lecture Monétaire', code: 'LEC-MON' });
    const mandate = await make(call, '/api/v1/mandates', { organisation_id: org.id, product_ids: [product.id] });
    const task = await make(call, '/api/v1/tasks', { title: 'Tâche en lecture', record_type: 'organisation', record_id: org.id });
    const person = await make(call, '/api/v1/people', { last_name: 'Lecteur', organisations: [{ organisation_id: org.id }] });
    await signIn(page, VIEWER);
    await page.waitForURL(/\/organisations$/);
    await check('the system theme follows the operating system live', async () => {
      assert.equal(await theme(page), 'dark');
      await page.emulateMedia({ colorScheme: 'light' });
      await page.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'light');
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'dark');
    });
    await check('lists offer no creation to a viewer', async () => {
      for (const [path, button] of [['/mandates', '#mandate-new'], ['/products', '#product-new'], ['/tasks', '#task-new'], ['/people', '#person-new']]) {
        await page.goto(`${BASE}${path}`);
        await page.locator('h1').waitFor();
        await page.locator('.table-wrap, .empty').first().waitFor();
        assert.equal(await page.locator(button).count(), 0, `${button} on ${path}`);
      }
      assert.equal(await page.locator('nav a[href="/trash"]').count(), 0);
      await page.goto(`${BASE}/trash`);
      await page.locator('#not-allowed').waitFor();
      await page.goto(`${BASE}/mandates/new`);
      await page.locator('#not-allowed').waitFor();
    });
    await check('record pages are read only for a viewer', async () => {
      const pages = [
        [`/mandates/${mandate.id}`, '#mandate-amount', ['#mandate-submit', '#mandate-delete']],
        [`/products/${product.id}`, '#product-name', ['#product-submit', '#product-delete']],
        [`/tasks/${task.id}`, '#task-title', ['#task-submit', '#task-delete']],
      ];
      for (const [path, field, absent] of pages) {
        await page.goto(`${BASE}${path}`);
        await page.locator(field).waitFor();
        assert.equal(await page.isDisabled(field), true, `${field} on ${path}`);
        for (const sel of absent) assert.equal(await page.locator(sel).count(), 0, `${sel} on ${path}`);
      }
      await page.goto(`${BASE}/mandates/${mandate.id}`);
      await page.locator(`#mandate-product-${product.id}:checked`).waitFor();
      await axe(page, 'mandate (viewer, dark)');
      await shot(page, 'mandate-dark-desktop');
      await page.goto(`${BASE}/people/${person.id}`);
      await page.locator('#person-organisations').waitFor();
      for (const sel of ['#person-edit', '#link-add', '#person-organisations button', '#person-new-interaction', '#person-new-task']) {
        assert.equal(await page.locator(sel).count(), 0, sel);
      }
      await page.goto(`${BASE}/organisations/${org.id}`);
      for (const [tab, button] of [['mandates', '#org-new-mandate'], ['interactions', '#org-new-interaction'], ['tasks', '#org-new-task']]) {
        await page.click(`#tab-${tab}`);
        await page.locator('[role=tabpanel] table, [role=tabpanel] .empty').first().waitFor();
        assert.equal(await page.locator(button).count(), 0, button);
      }
    });
    await check('a viewer reads roles without editing them', async () => {
      await page.goto(`${BASE}/admin?section=roles`);
      await page.locator('#roles-table').waitFor();
      assert.equal(await page.locator('#role-new').count(), 0);
      await page.click('#roles-table a:text("Lecteur")');
      await page.locator('#grants-table').waitFor();
      assert.equal(await page.locator('#role-submit, #role-delete').count(), 0);
      await axe(page, 'role (viewer, dark)');
      await shot(page, 'role-editor-dark-desktop');
      await page.goto(`${BASE}/admin?section=teams`);
      await page.locator('#teams-table, .empty').first().waitFor();
      assert.equal(await page.locator('#teams-table button').count(), 0);
    });
  });
}

await mandateFormJourney();
await productFormJourney();
await trashJourney();
await interactionFormJourney();
await taskFormJourney();
await personFormJourney();
await administrationJourney();
await viewerEditScreensJourney();

await journey('first sign-in', PHONE, 'light', async (page, check) => {
  await check('a temporary password leads to the forced change', async () => {
    await signIn(page, NEWCOMER);
    await page.waitForURL(/\/change-password$/);
    await axe(page, 'change password (phone)');
    await shot(page, 'change-password-light-phone');
  });
  await check('mismatched passwords are refused before sending', async () => {
    await page.fill('#current-password', NEWCOMER.password);
    await page.fill('#new-password', 'Un mot de passe assez long');
    await page.fill('#confirm-password', 'Un autre mot de passe long');
    await page.click('#change-password-submit');
    await page.waitForFunction(() =>
      document.querySelector('#confirm-password-error')?.innerText.trim() !== '');
  });
  await check('a new password opens the app', async () => {
    await page.fill('#confirm-password', 'Un mot de passe assez long');
    await page.click('#change-password-submit');
    await page.waitForURL(/\/organisations$/);
    await page.locator('#org-table').waitFor({ state: 'attached' }).catch(() => {});
    await page.getByRole('heading', { name: 'Organisations' }).waitFor();
    await shot(page, 'organisations-light-phone');
  });
});

await journey('password recovery', DESKTOP, 'light', async (page, check) => {
  await check('the forgotten-password form always confirms', async () => {
    await page.goto(`${BASE}/login`);
    await page.click('a[href="/forgot-password"]');
    await page.fill('#forgot-email', 'nobody@e2e.relais.test');
    await page.click('button[type="submit"]');
    await page.locator('#forgot-sent').waitFor();
  });
  await check('a bad reset link says so', async () => {
    await page.goto(`${BASE}/reset-password?token=not-a-token`);
    await page.fill('#new-password', 'Un mot de passe assez long');
    await page.fill('#confirm-password', 'Un mot de passe assez long');
    await page.click('button[type="submit"]');
    await page.locator('#form-error').waitFor();
  });
});

/// A screenshot from the top of the page (all of it with `full`), without the toasts of
/// earlier steps.
async function cleanShot(page, name, full = false) {
  await page.evaluate(() => window.scrollTo(0, 0));
  const hide = await page.addStyleTag({ content: '.toasts { visibility: hidden; }' });
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: full });
  await hide.evaluate((e) => e.remove());
}

/// A webhook receiver on loopback (the test server allows 127.0.0.1/32): records every
/// request and answers with the status set by `answer(status)`.
async function startReceiver() {
  const hits = [];
  let status = 200;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      hits.push({ headers: req.headers, body: Buffer.concat(chunks), status });
      const headers = { 'content-type': 'text/plain' };
      // Far enough away that only a manual retry can come first.
      if (status === 429) headers['retry-after'] = '120';
      res.writeHead(status, headers);
      res.end(`answer ${status}`);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks/relais`,
    hits,
    answer: (s) => { status = s; },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/// Standard Webhooks: `v1,` + base64 HMAC-SHA256(secret, id.timestamp.body); any listed
/// signature may match.
function signedWith(secret, hit) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const id = hit.headers['webhook-id'];
  const ts = hit.headers['webhook-timestamp'];
  const sig = crypto.createHmac('sha256', key).update(`${id}.${ts}.`).update(hit.body).digest('base64');
  return hit.headers['webhook-signature'].split(' ').includes(`v1,${sig}`);
}

async function until(what, fn, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/// The delivery rows of the log, as the user reads them.
const deliveryRows = (page) => page.evaluate(() =>
  [...document.querySelectorAll('#deliveries-table tbody tr.delivery')].map((r) => ({
    id: r.id,
    status: r.dataset.status,
    type: r.children[1].innerText.trim(),
    text: r.innerText,
    attempts: r.querySelector('.attempts').innerText.trim(),
    code: r.querySelector('.code').innerText.trim(),
    latency: r.querySelector('.latency').innerText.trim(),
    next: r.querySelector('.next').innerText.trim(),
  })));

async function webhooksJourney() {
  const receiver = await startReceiver();
  await journey('webhooks', DESKTOP, 'light', async (page, check) => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
    let secret;
    await check('settings lead an administrator to the webhooks screen', async () => {
      await signIn(page, ADMIN);
      await page.waitForURL(/\/organisations$/);
      await page.click('nav a[href="/settings"]');
      await page.click('#settings-webhooks');
      await page.waitForURL(/\/settings\/webhooks$/);
      await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
      await page.locator('#webhooks-empty').waitFor();
      await axe(page, 'webhooks (light)');
    });
    await check('an endpoint without URL or events is refused', async () => {
      await page.click('#webhook-new');
      await page.waitForURL(/\/settings\/webhooks\/new$/);
      await page.locator('#event-family-organisation').waitFor();
      await page.click('#webhook-submit');
      await page.locator('#form-error').waitFor();
      assert.match(await page.locator('#webhook-url-error').innerText(), /Adresse web invalide/);
      assert.match(await page.locator('#events-error').innerText(), /au moins un type/);
      assert.equal(await page.getAttribute('#webhook-url', 'aria-invalid'), 'true');
      // A private address is refused with its reason (the test server allows only 127.0.0.1).
      await page.fill('#webhook-url', 'http://10.0.0.1/hook');
      await page.click('#webhook-submit');
      await page.waitForFunction(() => /Adresse refusée/.test(document.querySelector('#webhook-url-error')?.innerText));
      await page.reload();
      await page.locator('#event-family-organisation').waitFor();
    });
    await check('an endpoint is created with a family and one type; its secret is shown once', async () => {
      await page.fill('#webhook-url', receiver.url);
      await page.fill('#webhook-description', 'ERP interne');
      await page.check('#event-family-organisation');
      // The family ticks and locks its own types.
      assert.equal(await page.isChecked('#event-type-organisation-created'), true);
      assert.equal(await page.isDisabled('#event-type-organisation-created'), true);
      await page.check('#event-type-mandate-signed');
      assert.equal(await page.isChecked('#event-type-mandate-created'), false);
      await axe(page, 'new webhook (light)');
      await cleanShot(page, 'webhook-new-light-desktop');
      await page.click('#webhook-submit');
      await page.locator('#webhook-created').waitFor();
      secret = (await page.locator('#new-secret').innerText()).trim();
      assert.match(secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
      await page.click('#new-secret-copy');
      await page.waitForFunction(() => /Copié/.test(document.querySelector('.toasts')?.innerText));
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    });
    await check('a test event is delivered (200) and signed with that secret', async () => {
      await page.click('#webhook-open');
      await page.waitForURL(/\/settings\/webhooks\/[0-9a-f-]{36}$/);
      await page.locator('#deliveries-empty').waitFor();
      const events = await page.locator('#webhook-events').innerText();
      assert.match(events, /organisation\.\*/);
      assert.match(events, /mandate\.signed/);
      await page.click('#webhook-test');
      // The log follows pending deliveries by itself.
      const row = await until('the test delivery', async () =>
        (await deliveryRows(page)).find((r) => r.type === 'webhook.test' && r.status === 'succeeded'));
      assert.equal(row.code, '200');
      assert.equal(row.attempts, '1 / 8');
      assert.match(row.latency, /\d+\s(ms|s)$/);
      assert.match(row.text, /Livré/);
      assert.equal(receiver.hits.length, 1);
      const hit = receiver.hits[0];
      assert.ok(signedWith(secret, hit), 'the signature verifies with the secret shown');
      assert.equal(JSON.parse(hit.body).type, 'webhook.test');
      assert.equal(JSON.parse(hit.body).id, hit.headers['webhook-id']);
      await axe(page, 'webhook endpoint (light)');
    });
    await check('the log filters by event type and status', async () => {
      const r = await api(page, 'POST', '/api/v1/organisations', { name: 'Crochet Partenaires', type: 'supplier' });
      assert.equal(r.status, 201);
      await page.click('#log-refresh');
      await until('the organisation delivery', async () =>
        (await deliveryRows(page)).some((x) => x.type === 'organisation.created' && x.status === 'succeeded'));
      await page.selectOption('#log-event-type', 'webhook.test');
      await until('only test deliveries', async () => {
        const rows = await deliveryRows(page);
        return rows.length === 1 && rows[0].type === 'webhook.test';
      });
      await page.selectOption('#log-event-type', 'organisation.*');
      await until('only organisation deliveries', async () => {
        const rows = await deliveryRows(page);
        return rows.length === 1 && rows[0].type === 'organisation.created';
      });
      await page.selectOption('#log-status', 'failed');
      await page.locator('#deliveries-empty').waitFor();
      await page.selectOption('#log-status', '');
      await page.selectOption('#log-event-type', '');
      await until('both deliveries', async () => (await deliveryRows(page)).length === 2);
    });
    await check('a failing receiver shows in the log; a retry from the screen delivers', async () => {
      receiver.answer(429);
      await page.click('#webhook-test');
      const pending = await until('the refused delivery', async () =>
        (await deliveryRows(page)).find((r) => r.type === 'webhook.test' && r.code === '429'));
      assert.equal(pending.status, 'pending');
      assert.equal(pending.attempts, '1 / 8');
      assert.notEqual(pending.next, '', 'the next attempt is shown');
      assert.match(pending.text, /En attente/);
      const refused = receiver.hits.at(-1);
      assert.equal(refused.status, 429);
      // The attempts, with the receiver's answer.
      await page.locator(`#${pending.id} button[aria-expanded]`).click();
      await page.waitForFunction((id) => /answer 429/.test(document.querySelector(`#attempts-${id.slice(9)}`)?.innerText), pending.id);
      await axe(page, 'webhook log with attempts (light)');
      await cleanShot(page, 'webhook-light-desktop', true);
      receiver.answer(200);
      const before = receiver.hits.length;
      await page.locator(`#${pending.id} button.retry`).click();
      const done = await until('the retried delivery', async () =>
        (await deliveryRows(page)).find((r) => r.id === pending.id && r.status === 'succeeded'));
      assert.equal(done.code, '200');
      assert.equal(done.attempts, '2 / 8');
      assert.equal(receiver.hits.length, before + 1);
      assert.equal(receiver.hits.at(-1).headers['webhook-id'], refused.headers['webhook-id'], 'same webhook-id');
    });
    await check('switching the endpoint off fails what is pending; re-enabled, a replay sends it', async () => {
      receiver.answer(429);
      await page.click('#webhook-test');
      const pending = await until('a pending delivery', async () =>
        (await deliveryRows(page)).find((r) => r.status === 'pending' && r.code === '429'));
      await page.uncheck('#webhook-active-toggle');
      await page.locator('#webhook-disabled').waitFor();
      assert.equal(await page.isDisabled('#webhook-test'), true);
      await until('the delivery given up', async () =>
        (await deliveryRows(page)).find((r) => r.id === pending.id && r.status === 'failed'));
      await axe(page, 'disabled webhook (light)');
      await page.click('#webhook-enable');
      await page.locator('#webhook-disabled').waitFor({ state: 'detached' });
      assert.equal(await page.isChecked('#webhook-active-toggle'), true);
      receiver.answer(200);
      const before = receiver.hits.length;
      await page.click('#replay-submit');
      await page.waitForFunction(() => /1 livraison/.test(document.querySelector('.toasts')?.innerText));
      await until('the replayed delivery', async () =>
        (await deliveryRows(page)).find((r) => r.id === pending.id && r.status === 'succeeded'));
      assert.equal(receiver.hits.length, before + 1);
      // A date beyond 14 days is refused on the screen.
      await page.fill('#replay-since', '2020-01-01');
      await page.click('#replay-submit');
      await page.waitForFunction(() => /14 jours/.test(document.querySelector('#replay-error')?.innerText));
    });
    await check('the secret is revealed, then rotated: both secrets sign for a day', async () => {
      await page.click('#secret-reveal');
      assert.equal((await page.locator('#secret-value').innerText()).trim(), secret);
      await page.click('#secret-rotate');
      await page.locator('#confirm-dialog').waitFor();
      await page.click('#confirm-button');
      await page.locator('#secret-rotated').waitFor();
      const rotated = (await page.locator('#secret-value').innerText()).trim();
      assert.match(rotated, /^whsec_/);
      assert.notEqual(rotated, secret);
      await page.locator('#secret-overlap').waitFor();
      const before = receiver.hits.length;
      await page.click('#webhook-test');
      await until('a delivery after the rotation', async () => receiver.hits.length > before);
      const hit = receiver.hits.at(-1);
      assert.equal(hit.headers['webhook-signature'].split(' ').length, 2);
      assert.ok(signedWith(rotated, hit), 'signed with the new secret');
      assert.ok(signedWith(secret, hit), 'and with the previous one');
      await page.click('#secret-hide');
      await page.locator('#secret-value').waitFor({ state: 'detached' });
    });
    await check('the endpoint is edited', async () => {
      await page.click('#webhook-edit');
      await page.waitForFunction(() => document.querySelector('#webhook-description')?.value === 'ERP interne');
      assert.equal(await page.isChecked('#event-type-mandate-signed'), true);
      await page.fill('#webhook-description', 'ERP interne (production)');
      await page.check('#event-family-task');
      await page.click('#webhook-submit');
      await page.locator('#webhook-form').waitFor({ state: 'detached' });
      await page.waitForFunction(() => /task\.\*/.test(document.querySelector('#webhook-events')?.innerText));
      assert.match(await page.locator('main').innerText(), /ERP interne \(production\)/);
    });
    await check('the webhook screens pass axe in the dark theme', async () => {
      await page.selectOption('#theme-select', 'dark');
      await page.locator('#deliveries-table').waitFor();
      await axe(page, 'webhook endpoint (dark)');
      await page.click('#webhook-edit');
      await page.locator('#event-family-person').waitFor();
      await axe(page, 'webhook form (dark)');
      await page.click('#webhook-cancel');
      await page.locator('#webhook-form').waitFor({ state: 'detached' });
      await cleanShot(page, 'webhook-dark-desktop', true);
      await page.click('.crumbs a[href="/settings/webhooks"]');
      await page.locator('#webhooks-table').waitFor();
      await axe(page, 'webhooks (dark)');
      await page.selectOption('#theme-select', 'light');
      assert.match(await page.locator('#webhooks-table').innerText(), /Actif/);
      await cleanShot(page, 'webhooks-light-desktop');
    });
    await check('an endpoint is deleted after confirmation', async () => {
      await page.click('#webhooks-table a.row-link');
      await page.click('#webhook-delete');
      await page.locator('#confirm-dialog').waitFor();
      await page.keyboard.press('Escape');
      await page.locator('#confirm-dialog').waitFor({ state: 'detached' });
      await page.click('#webhook-delete');
      await page.click('#confirm-button');
      await page.waitForURL(/\/settings\/webhooks$/);
      await page.locator('#webhooks-empty').waitFor();
    });
  });
  await journey('webhooks (viewer)', DESKTOP, 'dark', async (page, check) => {
    await check('a viewer has no webhooks settings', async () => {
      await signIn(page, VIEWER);
      await page.waitForURL(/\/organisations$/);
      await page.goto(`${BASE}/settings`);
      await page.locator('#profile-form').waitFor();
      assert.equal(await page.locator('#settings-webhooks').count(), 0);
      await page.goto(`${BASE}/settings/webhooks`);
      await page.locator('#not-allowed').waitFor();
      assert.equal(await page.locator('#webhook-new').count(), 0);
      assert.equal(await page.locator('#webhooks-table').count(), 0);
    });
  });
  await receiver.close();
}

async function searchJourney() {
  await journey('search', DESKTOP, 'light', async (page, check) => {
    let person;
    let org;
    let mandate;
    await check('records to find', async () => {
      await signIn(page, ADMIN);
      await page.waitForURL(/\/organisations$/);
      const p = await api(page, 'POST', '/api/v1/people', {
        first_name: 'Hélène', last_name: 'Dupont', job_title: 'Directrice financière',
        email: 'helene.dupont@lyonnaise.example',
      });
      assert.equal(p.status, 201, JSON.stringify(p.body));
      person = p.body;
      const o = await api(page, 'POST', '/api/v1/organisations', {
        name: 'Société Lyonnaise de Placement', type: 'investor', category: 'opcvm', city: 'Lyon',
        notes: 'Rencontre au salon Patrimonia <img src=x onerror=alert(1)> & déjeuner, budget < 2 M€',
      });
      assert.equal(o.status, 201, JSON.stringify(o.body));
      org = o.body;
      const o2 = await api(page, 'POST', '/api/v1/organisations', {
        name: 'Placement Privé Martin', type: 'investor', category: 'other', city: 'Paris',
      });
      assert.equal(o2.status, 201);
      const m = await api(page, 'POST', '/api/v1/mandates', { organisation_id: org.id, status: 'draft' });
      assert.equal(m.status, 201, JSON.stringify(m.body));
      mandate = m.body;
    });
    await check('a misspelt name without accents is found as you type; ↓ and Enter open it', async () => {
      const asked = [];
      page.on('request', (r) => { if (/\/api\/v1\/search\/autocomplete/.test(r.url())) asked.push(r.url()); });
      await page.locator('h1').click();
      await page.keyboard.press('Control+k');
      await page.locator('#search-input').waitFor();
      await page.keyboard.type('helene dupond', { delay: 25 });
      const option = page.locator('[role=option]', { hasText: 'Hélène Dupont' });
      await option.waitFor();
      // Typed faster than the pause: far fewer requests than keys.
      assert.ok(asked.length >= 1 && asked.length <= 3, `${asked.length} requests for 13 keys`);
      assert.match(decodeURIComponent(asked.at(-1)), /q=helene dupond/);
      assert.match(await page.locator('#search-group-person').innerText(), /Contacts/i);
      await axe(page, 'search palette (light)');
      await cleanShot(page, 'search-palette-light-desktop');
      const first = await page.locator('#search-listbox [role=option]').first().innerText();
      assert.match(first, /Hélène Dupont/);
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.getAttribute('#search-input', 'aria-activedescendant'), 'search-option-0');
      assert.equal(await page.getAttribute('#search-option-0', 'aria-selected'), 'true');
      await page.keyboard.press('Enter');
      await page.waitForURL(new RegExp(`/people/${person.id}$`));
      await page.getByRole('heading', { name: 'Hélène Dupont' }).waitFor();
      assert.equal(await page.locator('#search-dialog').count(), 0);
    });
    await check('recent searches come back in the palette', async () => {
      await page.locator('h1').click();
      await page.keyboard.press('/');
      await page.locator('#search-group-recent').waitFor();
      assert.match(await page.locator('#search-listbox').innerText(), /helene dupond/);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      assert.equal(await page.inputValue('#search-input'), 'helene dupond');
      await page.locator('[role=option]', { hasText: 'Hélène Dupont' }).waitFor();
      await page.keyboard.press('Escape');
      await page.locator('#search-dialog').waitFor({ state: 'detached' });
    });
    await check('snippets mark the words found and keep record text as text', async () => {
      await page.keyboard.press('Control+k');
      await page.keyboard.type('patrimonia');
      const option = page.locator('[role=option]', { hasText: 'Société Lyonnaise de Placement' });
      await option.waitFor();
      const snippet = option.locator('.palette-snippet');
      await snippet.waitFor();
      // The record's text arrives escaped and is shown as text: no element comes from it.
      assert.match(await snippet.innerText(), /Patrimonia <img src=x onerror=alert\(1\)> & déjeuner/);
      assert.equal(await page.locator('#search-dialog img').count(), 0, 'no markup from the record');
      assert.equal((await option.locator('mark').innerText()).trim(), 'Patrimonia');
      // Enter with no option chosen: the full results page.
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/search\?q=patrimonia$/);
      await page.locator('#group-organisation').waitFor();
      assert.equal(await page.locator('#search-results img').count(), 0);
      assert.match(await page.locator('#search-results .snippet').first().innerText(), /<img src=x/);
      assert.equal((await page.locator('#search-results mark').first().innerText()).trim(), 'Patrimonia');
    });
    await check('a mandate opens on its organisation', async () => {
      await page.locator('h1').click();
      await page.keyboard.press('Control+k');
      await page.keyboard.type(mandate.number);
      // The suggestion itself (the last option, "all results for …", names it too).
      await page.locator('[role=option] .palette-title', { hasText: new RegExp(`^${mandate.number}$`) }).waitFor();
      assert.match(await page.locator('#search-option-0').innerText(), new RegExp(mandate.number));
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await page.waitForURL(new RegExp(`/organisations/${org.id}\\?tab=mandates$`));
      assert.equal(await page.getAttribute('#tab-mandates', 'aria-selected'), 'true');
    });
    await check('the results page filters by city, kind and creation date', async () => {
      await page.goto(`${BASE}/search?q=placement`);
      await page.locator('#group-organisation').waitFor();
      const all = await page.locator('#group-organisation').innerText();
      assert.match(all, /Société Lyonnaise de Placement/);
      assert.match(all, /Placement Privé Martin/);
      await axe(page, 'search results (light)');
      await page.fill('#search-city', 'Paris');
      await page.click('#search-submit');
      await page.waitForURL(/city=Paris/);
      await page.waitForFunction(() => !/Lyonnaise/.test(document.querySelector('#search-results')?.innerText));
      assert.match(await page.locator('#group-organisation').innerText(), /Placement Privé Martin/);
      await cleanShot(page, 'search-results-light-desktop');
      await page.click('#search-reset');
      await page.waitForURL(/\/search\?q=placement$/);
      await page.waitForFunction(() => /Lyonnaise/.test(document.querySelector('#search-results')?.innerText));
      assert.equal(await page.inputValue('#search-city'), '');
      // Only people: none of them is called that.
      await page.check('#search-type-person');
      await page.click('#search-submit');
      await page.locator('#search-none').waitFor();
      await page.uncheck('#search-type-person');
      // Created from tomorrow on: nothing yet.
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      await page.fill('#search-from', tomorrow);
      await page.click('#search-submit');
      await page.waitForURL(/created_from=/);
      await page.locator('#search-none').waitFor();
      await page.selectOption('#theme-select', 'dark');
      await axe(page, 'search results (dark)');
      await page.goto(`${BASE}/search?q=placement&category=opcvm`);
      await page.locator('#group-organisation').waitFor();
      assert.doesNotMatch(await page.locator('#search-results').innerText(), /Martin/);
      await cleanShot(page, 'search-results-dark-desktop');
      await page.keyboard.press('Control+k');
      await page.keyboard.type('dupont');
      await page.locator('[role=option]', { hasText: 'Hélène Dupont' }).waitFor();
      await axe(page, 'search palette (dark)');
      await page.keyboard.press('Escape');
      await page.selectOption('#theme-select', 'light');
    });
    await check('the palette works at phone width', async () => {
      await page.setViewportSize(PHONE);
      await page.click('#search-button');
      await page.keyboard.type('lyonnaise');
      await page.locator('[role=option]', { hasText: 'Société Lyonnaise de Placement' }).waitFor();
      await axe(page, 'search palette (phone)');
      await cleanShot(page, 'search-palette-light-phone');
      await page.click('#search-close');
      await page.locator('#search-dialog').waitFor({ state: 'detached' });
      await page.setViewportSize(DESKTOP);
    });
  });
}

await webhooksJourney();
await searchJourney();
await journey('import and export', DESKTOP, 'light', async (page, check) => {
  const { readFileSync } = await import('node:fs');
  const csv = 'Nom;Ville;Code postal;E-mail\n'
    + 'Cabinet Import Alpha;Lyon;69002;alpha@import.example\n'
    + 'Cabinet Import Beta;Lille;59000;pas-un-email\n'
    + 'Cabinet Import Gamma;Nantes;44000;\n';
  await signIn(page, ADMIN);
  await page.waitForURL(/\/organisations$/);
  await check('the wizard reads the file, its delimiter and the mapping', async () => {
    await page.click('a[href="/imports"]');
    await page.waitForURL(/\/imports$/);
    await page.getByRole('heading', { name: 'Importer un fichier' }).waitFor();
    await page.setInputFiles('#import-file', {
      name: 'prospects-e2e.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8'),
    });
    await page.click('#import-upload');
    await page.locator('#import-detected').waitFor();
    const detected = await page.locator('#import-detected').innerText();
    assert.match(detected, /CSV/);
    assert.match(detected, /point-virgule/);
    assert.equal(await page.inputValue('#import-map-0'), 'name');
    assert.equal(await page.inputValue('#import-map-1'), 'city');
    assert.equal(await page.inputValue('#import-map-3'), 'email');
    assert.equal(await page.locator('#import-preview tbody tr').count(), 3);
    assert.equal(await page.locator('#import-preview tbody tr.import-bad').count(), 1);
    await axe(page, 'import wizard');
  });
  await check('a dry run reports the bad line and writes nothing', async () => {
    await page.click('#import-dry-run');
    await page.locator('#import-report').getByText('Compte rendu de la vérification').waitFor();
    assert.equal(await page.getAttribute('#import-progress', 'value'), '100');
    assert.match(await page.locator('#import-errors').innerText(), /3\s+E-mail/);
    const r = await api(page, 'GET', '/api/v1/organisations?q=Cabinet%20Import');
    assert.equal(r.body.items.length, 0);
  });
  await check('skipping bad rows imports the others, with a progress bar', async () => {
    await page.selectOption('#import-mode', 'skip_errors');
    await page.locator('#import-status').getByText('Prêt').waitFor();
    await page.click('#import-run');
    await page.locator('#import-status').getByText('Import terminé.').waitFor();
    assert.equal(await page.getAttribute('#import-progress', 'value'), '100');
    const counts = await page.locator('.import-counts').innerText();
    assert.match(counts, /Créées\s+2/);
    assert.match(counts, /Lignes en erreur\s+1/);
    await shot(page, 'import-light-desktop');
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      page.click('#import-error-report'),
    ]);
    assert.equal(dl.suggestedFilename(), 'erreurs-prospects-e2e.xlsx');
    assert.ok(readFileSync(await dl.path()).subarray(0, 2).toString() === 'PK', 'an XLSX');
  });
  await check('the organisation history says it was imported', async () => {
    await page.goto(`${BASE}/organisations`);
    await page.fill('#filter-q', 'Cabinet Import Alpha');
    await page.press('#filter-q', 'Enter');
    await page.getByRole('link', { name: 'Cabinet Import Alpha' }).click();
    await page.click('#tab-history');
    await page.locator('#history-list').getByText('Importé depuis « prospects-e2e.csv », ligne 2').waitFor();
  });
  await check('the filtered list exports as CSV with a BOM', async () => {
    await page.goto(`${BASE}/organisations`);
    await page.fill('#filter-q', 'Cabinet Import');
    await page.press('#filter-q', 'Enter');
    await page.getByRole('link', { name: 'Cabinet Import Gamma' }).waitFor();
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv-semicolon')]);
    assert.match(dl.suggestedFilename(), /^organisations-\d{4}-\d{2}-\d{2}\.csv$/);
    const bytes = readFileSync(await dl.path());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    assert.match(text, /^Nom;Type;/);
    assert.match(text, /Cabinet Import Alpha/);
    assert.match(text, /Cabinet Import Gamma/);
    assert.doesNotMatch(text, /Société Générale Gestion/, 'only the filtered rows');
  });
  await check('a background export shows its progress, then downloads the same rows', async () => {
    await page.check('#export-background');
    await page.click('#export-csv');
    await page.locator('#export-job').waitFor();
    const button = page.locator('#export-job-download');
    await button.waitFor({ timeout: 20000 });
    await page.locator('#export-job').getByText('Le fichier est prêt').waitFor();
    const [dl] = await Promise.all([page.waitForEvent('download'), button.click()]);
    assert.match(dl.suggestedFilename(), /^organisations-\d{4}-\d{2}-\d{2}\.csv$/);
    const bytes = readFileSync(await dl.path());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    assert.match(text, /^Nom,Type,/);
    assert.match(text, /Cabinet Import Alpha/);
    assert.match(text, /Cabinet Import Gamma/);
    assert.doesNotMatch(text, /Société Générale Gestion/, 'the filters apply to the job too');
  });
  await check('products import from the wizard, matched by their code', async () => {
    const products = 'Code produit;Libellé;Catégorie\n'
      + 'E2E-FONDS-1;Fonds E2E Patrimoine;OPCVM\n'
      + 'e2e-scpi-1;SCPI E2E Rendement;SCPI\n';
    await page.goto(`${BASE}/imports`);
    await page.getByRole('heading', { name: 'Importer un fichier' }).waitFor();
    await page.selectOption('#import-kind', 'products');
    await page.setInputFiles('#import-file', {
      name: 'produits-e2e.csv', mimeType: 'text/csv', buffer: Buffer.from(products, 'utf8'),
    });
    await page.click('#import-upload');
    await page.locator('#import-detected').waitFor();
    assert.equal(await page.inputValue('#import-map-0'), 'code');
    assert.equal(await page.inputValue('#import-map-1'), 'name');
    assert.equal(await page.inputValue('#import-map-2'), 'category');
    assert.equal(await page.inputValue('#import-key'), 'code');
    assert.match(await page.locator('#import-key').innerText(), /le code \(ISIN ou code interne\)/);
    await page.click('#import-dry-run');
    await page.locator('#import-report').getByText('Compte rendu de la vérification').waitFor();
    await page.click('#import-run');
    await page.locator('#import-status').getByText('Import terminé.').waitFor();
    assert.match(await page.locator('.import-counts').innerText(), /Créées\s+2/);
    const r = await api(page, 'GET', '/api/v1/products?q=E2E&sort=code');
    assert.deepEqual(r.body.items.map((p) => p.code), ['E2E-FONDS-1', 'E2E-SCPI-1']);
  });
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
