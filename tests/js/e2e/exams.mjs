// End-to-end run of the console's Exams tab in headless Chromium (Debian's chromium driven by playwright-core).
// Spawned by dev.lectern.server.ExamsConsoleE2eTest, which starts Lectern with a fake model, two accounts and a course.
//
// Environment: LECTERN_URL, E2E_SHOTS (screenshots), E2E_PASSWORD, E2E_LECTURER and E2E_STUDENT (e-mails),
// E2E_COURSE (course id), E2E_KEY (the text of the single-choice key), E2E_ESSAY (the student's essay).
// Output on stdout, one JSON object a line: progress {"step": ...}, last {"result": {...}} or {"error": "..."}.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env('LECTERN_URL');
const shots = env('E2E_SHOTS');
const password = env('E2E_PASSWORD');
const lecturer = env('E2E_LECTURER');
const student = env('E2E_STUDENT');
const course = env('E2E_COURSE');
const key = env('E2E_KEY');
const essay = env('E2E_ESSAY');
const TIMEOUT = 60_000; // generous: the test machine may be busy with other builds

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const step = (name) => out({ step: name });

async function signIn(page, email) {
  await page.goto('/');
  await page.locator('#sign-in-email').fill(email);
  await page.locator('#sign-in-password').fill(password);
  await page.locator('#sign-in-form').getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await page.getByRole('tab', { name: 'Exams' }).click();
  await page.locator('#exams-panel').waitFor({ state: 'visible' });
}

const text = (page, selector) => page.locator(selector).textContent();

/** Generates, edits, approves, reorders and publishes; returns the exam id. */
async function build(page) {
  step('lecturer: course');
  await page.getByLabel('Course id').fill(course);
  await page.getByRole('button', { name: 'Open the course' }).click();
  await page.locator('#exams-course').waitFor({ state: 'visible' });

  step('lecturer: generate');
  const counts = page.locator('#exams-generate-form');
  await counts.getByLabel('Single choice').fill('1');
  await counts.getByLabel('Essay').fill('1');
  await page.locator('#exams-generate-form').getByLabel('Title').fill('Greenhouse quiz');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.locator('#exams-gen-status[data-kind=ok]').waitFor();
  result.generated = await text(page, '#exams-gen-status');
  await page.locator('#exams-questions > li').nth(1).waitFor();
  result.citations = await page.locator('#exams-questions .exam-cite blockquote').allTextContents();
  result.draftTitle = await text(page, '#exams-exam-title');

  step('lecturer: rubric');
  await page.getByRole('button', { name: 'New rubric' }).click();
  const rubric = page.locator('#exams-rubric-form');
  await rubric.getByLabel('Title').fill('Greenhouse essay');
  await rubric.getByLabel('Criterion', { exact: true }).fill('Mechanism');
  await rubric.getByLabel('Criterion details').fill('Names infrared absorption');
  await rubric.getByLabel('Rating', { exact: true }).first().fill('Named');
  await rubric.getByLabel('Rating points').first().fill('3');
  await rubric.getByLabel('Rating', { exact: true }).nth(1).fill('Missing');
  await rubric.getByRole('button', { name: 'Save the rubric' }).click();
  await page.locator('#exams-rubric-status[data-kind=ok]').waitFor();
  result.rubricSaved = await text(page, '#exams-rubric-status');

  step('lecturer: edit the essay');
  const essayCard = page.locator('#exams-questions > li', { hasText: 'Essay' });
  const essayNumber = (await essayCard.locator('.exam-q-head').textContent()).split('.')[0];
  await page.getByRole('button', { name: `Edit question ${essayNumber}` }).click();
  const editor = page.locator('form.exam-edit');
  await editor.getByLabel('Points').fill('4');
  await editor.getByLabel('Rubric').selectOption({ label: 'Greenhouse essay' });
  await editor.getByRole('button', { name: 'Save' }).click();
  await page.locator('#exams-questions > li', { hasText: 'Rubric: Greenhouse essay' }).waitFor();

  step('lecturer: approve, reorder, publish');
  for (const n of [1, 2]) {
    await page.getByRole('button', { name: `Approve question ${n}` }).click();
    await page.locator(`#exams-questions > li:nth-child(${n}) .exam-q-head`, { hasText: 'approved' }).waitFor();
  }
  const firstBefore = await text(page, '#exams-questions > li:nth-child(1) .exam-stem');
  await page.getByRole('button', { name: 'Move question 2 up' }).click();
  await page.locator('#exams-questions > li:nth-child(2) .exam-stem', { hasText: firstBefore }).waitFor();
  result.order = await page.locator('#exams-questions .exam-stem').allTextContents();
  await page.getByLabel('Time limit (minutes)').fill('30');
  await page.locator('#exams-publish-form').getByRole('button', { name: 'Publish' }).click();
  await page.locator('#exams-exam-title', { hasText: 'published' }).waitFor();
  result.published = await text(page, '#exams-exam-title');
  result.window = await text(page, '#exams-window');
  await page.screenshot({ path: join(shots, 'exams-builder.png'), fullPage: true });
  return (await text(page, '#exams-exam-id')).trim();
}

/** Takes the exam: the key for the choice, the essay typed, autosaved, submitted. */
async function take(page, examId) {
  step('student: take');
  await page.getByLabel('Exam id (from your lecturer)').fill(examId);
  await page.getByRole('button', { name: 'Start or resume' }).click();
  await page.locator('#exams-attempt-questions > li').nth(1).waitFor();
  await page.locator('#exams-timer', { hasText: 'Time left' }).waitFor();
  result.timer = await text(page, '#exams-timer');
  await page.locator('#exams-attempt-questions').getByLabel(key, { exact: true }).check();
  await page.locator('#exams-attempt-questions textarea').fill(essay);
  for (const n of [0, 1]) {
    await page.locator('#exams-attempt-questions > li').nth(n).locator('.exam-saved[data-kind=ok]').waitFor();
  }
  result.saved = await page.locator('#exams-attempt-questions .exam-saved').allTextContents();
  await page.screenshot({ path: join(shots, 'exams-take.png'), fullPage: true });
  await page.getByRole('button', { name: 'Submit (final)' }).click();
  await page.locator('#exams-take-status[data-kind=ok]').waitFor();
  result.submitted = await text(page, '#exams-take-status');
  result.inputsDisabledAfterSubmit = await page.locator('#exams-attempt-questions textarea').isDisabled();
  await page.getByRole('button', { name: 'See my results' }).click();
  await page.locator('#exams-take-status', { hasText: 'not released' }).waitFor();
  result.beforeRelease = await text(page, '#exams-take-status');
}

/** Waits for the model's grade, reads it, overrides it, releases, downloads the CSV. */
async function review(page) {
  step('lecturer: review');
  const essayReview = page.locator('.exam-review', { has: page.locator('table.exam-criteria') });
  for (let i = 0; i < 120 && !(await essayReview.count()); i++) {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.waitForTimeout(500);
  }
  await essayReview.waitFor();
  result.modelPointsLine = await essayReview.locator('.exam-points').textContent();
  result.modelCriteria = await essayReview.locator('table.exam-criteria tbody tr').evaluateAll((rows) =>
    rows.map((r) => [...r.cells].map((c) => c.textContent)));
  result.highlighted = await essayReview.locator('.exam-answer mark').textContent();
  result.agreementBefore = await text(page, '#exams-agreement');
  await page.screenshot({ path: join(shots, 'exams-grading.png'), fullPage: true });
  await essayReview.getByLabel(/^Override points/).fill('2');
  await essayReview.getByLabel(/^Comment for/).fill('Good, but name the re-emission.');
  await essayReview.getByRole('button', { name: 'Override' }).click();
  await page.locator('.exam-review .exam-points', { hasText: 'lecturer 2' }).waitFor();
  result.overriddenLine = await page.locator('.exam-review .exam-points', { hasText: 'lecturer 2' }).textContent();
  await page.getByRole('button', { name: 'Release results' }).click();
  await page.locator('#exams-release-status[data-kind=ok]').waitFor();
  result.released = await text(page, '#exams-release-status');
  result.agreementAfter = await text(page, '#exams-agreement');
  result.items = await page.locator('#exams-items tr').evaluateAll((rows) =>
    rows.map((r) => [...r.cells].map((c) => c.textContent)));
  const [download] = await Promise.all([page.waitForEvent('download'),
    page.getByRole('button', { name: 'Results (CSV)' }).click()]);
  result.csvName = download.suggestedFilename();
  result.csv = readFileSync(await download.path(), 'utf8');
}

async function results(page) {
  step('student: results');
  await page.getByRole('button', { name: 'See my results' }).click();
  await page.locator('#exams-results').waitFor({ state: 'visible' });
  result.total = await text(page, '#exams-results-total');
  result.resultAnswers = await page.locator('#exams-results-answers > li').allTextContents();
  await page.screenshot({ path: join(shots, 'exams-results.png'), fullPage: true });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const errors = [];
const failed = [];
const sent = [];
const result = {};
try {
  mkdirSync(shots, { recursive: true });
  const options = { viewport: { width: 1280, height: 900 }, baseURL: base, acceptDownloads: true };
  const teacherContext = await browser.newContext(options);
  const studentContext = await browser.newContext(options);
  const teacher = await teacherContext.newPage();
  const pupil = await studentContext.newPage();
  for (const [name, p] of [['lecturer', teacher], ['student', pupil]]) {
    p.setDefaultTimeout(TIMEOUT);
    p.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
    p.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`${name} console: ${m.text()}`);
    });
    p.on('request', (r) => { if (r.method() !== 'GET') sent.push(`${name} ${r.method()} ${new URL(r.url()).pathname}`); });
    p.on('response', (r) => { if (r.status() >= 400) failed.push(`${name} ${r.status()} ${new URL(r.url()).pathname}`); });
  }
  await signIn(teacher, lecturer);
  result.examId = await build(teacher);
  await signIn(pupil, student);
  await take(pupil, result.examId);
  await review(teacher);
  await results(pupil);
  result.errors = errors;
  result.failedResponses = failed;
  out({ result });
} catch (e) {
  for (const [i, p] of browser.contexts().flatMap((c) => c.pages()).entries()) {
    await p.screenshot({ path: join(shots, `exams-failure-${i}.png`), fullPage: true }).catch(() => {});
    result[`statuses${i}`] = await p.locator('#exams-panel .status').allTextContents().catch(() => []);
    result[`invalid${i}`] = await p.evaluate(() => [...document.querySelectorAll('#exams-panel :invalid')]
      .map((x) => `${x.name || x.id}: ${x.validationMessage} (${x.value})`)).catch(() => []);
  }
  out({ error: String(e && e.stack ? e.stack : e), partial: result, errors, failed, sent });
  process.exitCode = 1;
} finally {
  await browser.close();
}
