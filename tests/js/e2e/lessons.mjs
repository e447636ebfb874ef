// The console's Projects view and lesson page in headless Chromium (playwright-core). Spawned by
// dev.lectern.console.LessonsConsoleE2eTest, which starts Lectern (and a fake model) and makes the user.
//
// Environment: LECTERN_URL, E2E_SHOTS (screenshots), E2E_EMAIL, E2E_PASSWORD, E2E_PROJECT (a title full of markup:
// it must show as text), E2E_PROMPT, E2E_SCENES, E2E_DONE_STATUSES (comma-separated session statuses that end a
// generation), E2E_EDIT_PROMPT. E2E_MODE=generate (default): create a project, generate, watch the bars reach the end,
// open the lesson page, play the video when the session has one, edit scene 2, reload the lesson's address.
// E2E_MODE=cancel (a server running no jobs and without a model): generate, see the job wait, cancel it, retry it; then
// write the scenes by hand (E2E_OWN_SCENES) and see what the page sends.
// Output on stdout, one JSON object a line: {"step": ...} as it goes, then {"result": {...}} or {"error": "..."}.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { env, launch, out, signIn, step, TIMEOUT, watch } from './browser.mjs';

const base = env('LECTERN_URL');
const shots = env('E2E_SHOTS');
const mode = process.env.E2E_MODE || 'generate';
const email = env('E2E_EMAIL');
const password = env('E2E_PASSWORD');
const projectTitle = env('E2E_PROJECT');
const prompt = env('E2E_PROMPT');
const scenes = Number(env('E2E_SCENES'));
const doneStatuses = mode === 'generate' ? env('E2E_DONE_STATUSES').split(',') : [];
const editPrompt = mode === 'generate' ? env('E2E_EDIT_PROMPT') : '';

const result = {};
const errors = [];
const failed = [];

/** Creates the project through the form and waits until it is the one shown (and the live stream is on). */
async function createProject(page) {
  await page.getByRole('tab', { name: 'Projects' }).click();
  await page.locator('#projects-panel').getByLabel('Title', { exact: true }).fill(projectTitle);
  await page.locator('#projects-panel').getByLabel('Description').fill('Made by the browser test');
  await page.getByRole('button', { name: 'Create the project' }).click();
  await page.waitForFunction((t) => document.getElementById('project-heading').textContent === t, projectTitle);
  result.projectHeading = await page.locator('#project-heading').textContent();
  result.projectListed = await page.locator('#project-list a').allTextContents();
  // the title's markup stayed text: no element was made from it anywhere on the page
  result.markupElements = await page.evaluate(() => document.querySelectorAll('#projects-panel b, #projects-panel img').length);
  result.projectHash = await page.evaluate(() => location.hash);
  await page.locator('#live-status[data-live="on"]').waitFor();
}

/** Records every change of the first session's bar and job state, to show the progress arrived live. */
async function recordProgress(page) {
  await page.evaluate(() => {
    window.progressSeen = [];
    const note = () => {
      const li = document.querySelector('#session-list li.session');
      if (!li) return;
      const entry = {
        value: li.querySelector('progress.bar').dataset.value,
        job: li.dataset.job,
        status: li.dataset.status,
        scenes: li.querySelectorAll('.scene-bars li').length,
        scenesDone: [...li.querySelectorAll('.scene-bars progress')].filter((p) => p.dataset.value === '100').length,
      };
      const seen = window.progressSeen;
      const last = seen[seen.length - 1];
      if (!last || JSON.stringify(last) !== JSON.stringify(entry)) seen.push(entry);
    };
    new MutationObserver(note).observe(document.getElementById('session-list'),
      { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

async function startGeneration(page) {
  await page.locator('#projects-panel').getByLabel('What should the lesson teach?').fill(prompt);
  await page.locator('#projects-panel').getByLabel('Scenes', { exact: true }).fill(String(scenes));
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.locator('#session-list li.session').first().waitFor();
}

async function generate(page) {
  step('project');
  await createProject(page);
  await recordProgress(page);

  step('generate');
  await startGeneration(page);
  const session = page.locator('#session-list li.session').first();
  await page.waitForFunction((done) => {
    const li = document.querySelector('#session-list li.session');
    return li && ['SUCCESS', 'FAILURE', 'REVOKED'].includes(li.dataset.job) && done.includes(li.dataset.status);
  }, doneStatuses, { timeout: 240_000 });
  result.sessionId = await session.getAttribute('data-id');
  result.sessionStatus = await session.getAttribute('data-status');
  result.sessionJob = await session.getAttribute('data-job');
  result.sessionBar = await session.locator('progress.bar').getAttribute('data-value');
  result.sessionPct = await session.locator('.pct').textContent();
  result.sessionJobLine = await session.locator('.job-state').textContent();
  result.sessionError = await session.locator('.error').isVisible() ? await session.locator('.error').textContent() : '';
  result.sessionSceneBars = await session.locator('.scene-bars li').count();
  result.cancelVisible = await session.getByRole('button', { name: 'Cancel' }).isVisible();
  result.progressSeen = await page.evaluate(() => window.progressSeen);
  await page.screenshot({ path: join(shots, 'projects.png') });

  step('lesson');
  await session.locator('a.open').click();
  await page.locator('#lesson-view').waitFor({ state: 'visible' });
  await page.waitForFunction((n) => document.querySelectorAll('#scene-list li.scene').length === n, scenes);
  result.lessonHash = await page.evaluate(() => location.hash);
  result.lessonHeading = await page.locator('#lesson-heading').textContent();
  result.sceneTitles = await page.locator('#scene-list .title').allTextContents();
  result.sceneNarrations = await page.locator('#scene-list .narration').allTextContents();
  result.sceneStatuses = await page.locator('#scene-list li.scene').evaluateAll((items) => items.map((i) => i.dataset.status));
  result.scenePreviews = await page.locator('#scene-list video.preview').evaluateAll((vs) => vs.map((v) => !v.hidden && !!v.getAttribute('src')));
  result.videoVisible = await page.locator('#lesson-video').isVisible();
  result.videoNoneVisible = await page.locator('#lesson-video-none').isVisible();
  if (result.videoVisible) await playback(page);
  await page.screenshot({ path: join(shots, 'lesson.png') });

  step('edit');
  const second = page.locator('#scene-list li.scene').nth(1);
  const versionBefore = Number(await second.getAttribute('data-version'));
  result.versionBefore = versionBefore;
  result.previewBefore = await second.locator('video.preview').getAttribute('src');
  await second.getByRole('button', { name: 'Edit this scene' }).click();
  result.editorPrefill = {
    title: await second.getByLabel('Scene title').inputValue(),
    narration: await second.getByLabel('Narration').inputValue(),
    bullets: await second.getByLabel('Bullets, one a line').inputValue(),
  };
  await second.getByLabel('What should change?').fill(editPrompt);
  await second.getByRole('button', { name: 'Re-render this scene' }).click();
  // the edit job to its end, then the scene at its next version
  await page.waitForFunction(() => ['SUCCESS', 'FAILURE', 'REVOKED']
    .includes(document.querySelectorAll('#scene-list li.scene')[1].dataset.edit), null, { timeout: 240_000 });
  result.editJob = await second.getAttribute('data-edit');
  result.editStatus = await second.locator('.edit-status').textContent();
  await page.waitForFunction((v) => Number(document.querySelectorAll('#scene-list li.scene')[1].dataset.version) > v,
    versionBefore);
  result.versionAfter = Number(await second.getAttribute('data-version'));
  result.editedSceneStatus = await second.getAttribute('data-status');
  if (result.videoVisible) {
    // the edited scene's new file, and the lesson assembled again (its status back to READY)
    await page.waitForFunction((before) => {
      const v = document.querySelectorAll('#scene-list li.scene')[1].querySelector('video.preview');
      return v.getAttribute('src') && v.getAttribute('src') !== before
        && document.getElementById('lesson-view').dataset.status === 'READY';
    }, result.previewBefore);
    result.previewAfter = await second.locator('video.preview').getAttribute('src');
    await page.locator('#lesson-versions').waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.querySelectorAll('#version-list li').length >= 2);
  }
  if (result.videoVisible) {
    // the rewritten scene's words show without a reload
    await page.waitForFunction((before) => document.querySelectorAll('#scene-list li.scene')[1]
      .querySelector('.narration').textContent !== before, result.sceneNarrations[1]);
  }
  result.editedNarration = await second.locator('.narration').textContent();
  result.versionsVisible = await page.locator('#lesson-versions').isVisible();
  result.versionItems = await page.locator('#version-list li').evaluateAll((items) => items.map((i) => ({
    version: Number(i.dataset.version), current: i.dataset.current !== undefined,
  })));

  step('reload');
  // the lesson's address opens it again (the token is kept for the tab)
  await page.reload();
  await page.locator('#lesson-view').waitFor({ state: 'visible' });
  await page.waitForFunction((n) => document.querySelectorAll('#scene-list li.scene').length === n, scenes);
  result.reloadedHeading = await page.locator('#lesson-heading').textContent();
  result.reloadedVersions = await page.locator('#scene-list li.scene').evaluateAll((items) => items.map((i) => Number(i.dataset.version)));
  result.reloadedNarrations = await page.locator('#scene-list .narration').allTextContents();
  if (result.versionsVisible) {
    step('restore');
    // the first version back: the lesson's first video, and the scenes as they were
    await page.locator('#version-list li[data-version="1"]').waitFor();
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.locator('#version-list li[data-version="1"][data-current]').waitFor();
    await page.waitForFunction((v) => Number(document.querySelectorAll('#scene-list li.scene')[1].dataset.version) < v,
      result.versionAfter);
    result.restoredStatus = await page.locator('#lesson-status').textContent();
    result.restoredNarrations = await page.locator('#scene-list .narration').allTextContents();
    result.restoredVideoSrc = new URL(await page.locator('#lesson-video').getAttribute('src'), base).pathname;
  }
  await page.locator('#lesson-back').click();
  await page.locator('#project-view').waitFor({ state: 'visible' });
  result.backHeading = await page.locator('#project-heading').textContent();
}

/** The finished lesson loads, plays (time advances) and has its captions track with cues. */
async function playback(page) {
  step('playback');
  const video = page.locator('#lesson-video');
  result.videoSrc = new URL(await video.getAttribute('src'), base).pathname;
  result.poster = await video.getAttribute('poster');
  await page.waitForFunction(() => document.getElementById('lesson-video').readyState >= 2, null, { timeout: TIMEOUT });
  result.duration = await video.evaluate((v) => v.duration);
  await video.evaluate((v) => {
    v.muted = true; // no user gesture in a test: muted playback is allowed
    return v.play();
  });
  await page.waitForFunction(() => document.getElementById('lesson-video').currentTime > 0.5, null, { timeout: TIMEOUT });
  result.currentTime = await video.evaluate((v) => v.currentTime);
  result.track = await video.evaluate((v) => {
    const t = v.querySelector('track');
    return t ? { kind: t.kind, src: new URL(t.src).pathname, default: t.default } : null;
  });
  if (result.track) {
    await page.waitForFunction(() => {
      const t = document.querySelector('#lesson-video track');
      return t.readyState === 2 || t.readyState === 3;
    }, null, { timeout: TIMEOUT });
    result.trackReadyState = await video.evaluate((v) => v.querySelector('track').readyState);
    result.cues = await video.evaluate((v) => {
      const tt = v.textTracks[0];
      return tt && tt.cues ? [...tt.cues].map((c) => c.text) : [];
    });
  }
  await video.evaluate((v) => v.pause());
  result.videoError = await page.locator('#lesson-video-error').isVisible();
}

async function cancel(page) {
  step('project');
  await createProject(page);
  step('generate');
  await startGeneration(page);
  const session = page.locator('#session-list li.session').first();
  await page.locator('#session-list li.session[data-job="PENDING"]').waitFor();
  result.waitingLine = await session.locator('.job-state').textContent();
  result.retryVisibleWhileWaiting = await session.getByRole('button', { name: 'Retry' }).isVisible();
  step('cancel');
  await session.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('#session-list li.session[data-job="REVOKED"][data-status="FAILED"]').waitFor();
  result.cancelledLine = await session.locator('.job-state').textContent();
  result.cancelledBadge = await session.locator('.badge').textContent();
  result.cancelVisibleAfter = await session.getByRole('button', { name: 'Cancel' }).isVisible();
  await page.screenshot({ path: join(shots, 'projects-cancelled.png') });
  step('retry');
  await session.getByRole('button', { name: 'Retry' }).click();
  await page.locator('#session-list li.session[data-job="PENDING"]').waitFor();
  result.retriedLine = await session.locator('.job-state').textContent();
  result.sessionId = await session.getAttribute('data-id');

  step('own-scenes');
  // this server has no model: the form offers the scenes written by hand, and says why
  result.offlineNotice = await page.locator('#own-scenes-offline').isVisible();
  result.ownScenesOpen = await page.locator('#own-scenes').evaluate((d) => d.open);
  await page.locator('#projects-panel').getByLabel('What should the lesson teach?').fill('Limits, written by hand');
  await page.locator('#projects-panel').getByLabel('Your scenes').fill('Limits\n- a bullet but no narration');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  await page.locator('#generate-status[data-kind="error"]').waitFor();
  result.ownRefused = await page.locator('#generate-status').textContent();
  const posted = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/jobs/generate');
  await page.locator('#projects-panel').getByLabel('Your scenes').fill(env('E2E_OWN_SCENES'));
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  result.ownGenerate = (await posted).postDataJSON();
  await page.waitForFunction(() => document.querySelectorAll('#session-list li.session[data-job="PENDING"]').length === 2);
  result.ownSessionId = await page.locator('#session-list li.session').first().getAttribute('data-id');
}

const browser = await launch();
try {
  mkdirSync(shots, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: base });
  const page = await context.newPage();
  watch(page, 'page', errors, failed);
  page.setDefaultTimeout(TIMEOUT);
  step('sign-in');
  await page.goto('/');
  await signIn(page, email, password);
  if (mode === 'cancel') await cancel(page);
  else await generate(page);
  result.errors = errors;
  result.failedResponses = failed;
  out({ result });
} catch (e) {
  out({ error: String(e && e.stack ? e.stack : e), partial: result, errors, failed });
  process.exitCode = 1;
} finally {
  await browser.close();
}
