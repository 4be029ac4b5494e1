// Browser tests of the web app: user journeys in headless Chromium against a live
// `relais serve`, axe-core accessibility checks in light and dark themes, and the screenshots
// of docs/screenshots. Started by `cargo xtask test` (xtask/src/web.rs), which provides the
// server, the accounts and these variables:
//   BASE_URL, RELAIS_TOOLS (where playwright-core and axe-core are installed), E2E_TENANT,
//   E2E_{ADMIN,VIEWER,NEWCOMER}_{EMAIL,PASSWORD}, E2E_SCREENSHOTS, E2E_WORK_DIR.
// Prints one line per check and ends with "N passed, N failed".

import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
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
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
