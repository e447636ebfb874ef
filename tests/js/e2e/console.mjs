// End-to-end run of the web console in headless Chromium (Debian's chromium driven by playwright-core; never a browser
// download). Spawned by dev.lectern.console.ConsoleE2eTest, which starts Lectern and a fake model upstream.
//
// Environment: LECTERN_URL (the server), E2E_SHOTS (directory for screenshots), E2E_PASSWORD, E2E_NEW_EMAIL (signs up
// through the page), E2E_EXISTING_EMAIL (created by the test; signs in through the page), E2E_QUESTION, E2E_ANSWER,
// E2E_SPOKEN_SENTENCES, E2E_FOLLOW_UP, E2E_DOC (a text file holding a fact; uploaded through the page), E2E_DOC_QUESTION
// (asks about that fact), E2E_BAD_FILE (a type the server refuses with 415), E2E_BIG_FILE (optional: over the server's
// uploads.maxFileBytes, refused with 413); E2E_MODE=unconfigured instead checks what the page says on a server with no model and no
// avatar (only E2E_EXISTING_EMAIL, E2E_PASSWORD and E2E_QUESTION are used then).
// Protocol on stdio, one JSON object a line: this script writes {"need_code": email} and reads {"code": "..."} back;
// progress lines {"step": ...}; and last {"result": {...}} or {"error": "..."}.
import { createInterface } from 'node:readline';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { env, launch, out, signIn as signInAs, step, TIMEOUT, watch } from './browser.mjs';

const base = env('LECTERN_URL');
const shots = env('E2E_SHOTS');
const password = env('E2E_PASSWORD');
const mode = process.env.E2E_MODE || 'full';
const newEmail = mode === 'full' ? env('E2E_NEW_EMAIL') : '';
const existingEmail = env('E2E_EXISTING_EMAIL');
const question = env('E2E_QUESTION');
const expectedAnswer = mode === 'full' ? env('E2E_ANSWER') : '';
const expectedSentences = Number(process.env.E2E_SPOKEN_SENTENCES || '0'); // 0 when the server speaks no audio
const doc = mode === 'full' ? env('E2E_DOC') : '';
const docQuestion = mode === 'full' ? env('E2E_DOC_QUESTION') : '';
const badFile = mode === 'full' ? env('E2E_BAD_FILE') : '';
const bigFile = process.env.E2E_BIG_FILE || '';

const stdin = createInterface({ input: process.stdin });
const replies = [];
const waiters = [];
stdin.on('line', (line) => {
  const msg = JSON.parse(line);
  const w = waiters.shift();
  if (w) w(msg);
  else replies.push(msg);
});
const nextReply = () => (replies.length ? Promise.resolve(replies.shift()) : new Promise((r) => waiters.push(r)));

async function signUp(page, email) {
  await page.locator('#sign-up-email').fill(email);
  await page.locator('#sign-up-password').fill(password);
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await page.locator('#sign-up-code').waitFor({ state: 'visible' });
  out({ need_code: email });
  const { code } = await nextReply();
  await page.getByLabel('Verification code from the e-mail').fill(code);
  await page.getByRole('button', { name: 'Create the account' }).click();
  await page.locator('#app-view').waitFor({ state: 'visible' });
}

const signIn = (page, email) => signInAs(page, email, password);

/** Waits until the page's peer connection reports connected (both connectionState and ICE state). */
async function connected(page) {
  await page.waitForFunction(() => {
    const s = document.getElementById('room-status');
    return s.dataset.connection === 'connected' && ['connected', 'completed'].includes(s.dataset.ice);
  }, null, { timeout: TIMEOUT });
  // frames from the other side's fake camera are being decoded
  await page.waitForFunction(() => {
    const v = document.getElementById('remote-video');
    return v.videoWidth > 0 && v.readyState >= 2;
  }, null, { timeout: TIMEOUT });
  return page.evaluate(() => ({ ...document.getElementById('room-status').dataset }));
}

/** Chooses a file in the upload box, submits it, and returns what the status line then says. */
async function upload(page, path) {
  const before = await page.locator('#upload-status').textContent();
  await page.getByLabel(/Upload a PDF/).setInputFiles(path);
  await page.locator('#upload-form').getByRole('button', { name: 'Upload', exact: true }).click();
  await page.waitForFunction((b) => {
    const s = document.getElementById('upload-status').textContent;
    return s !== b && !s.startsWith('Uploading');
  }, before);
  const status = page.locator('#upload-status');
  return { text: await status.textContent(), kind: await status.getAttribute('data-kind') };
}

/** Uploads a document, sees it listed as indexed, asks about it, reads the citation; refused uploads are shown. */
async function documents(page) {
  const name = basename(doc);
  result.uploaded = await upload(page, doc);
  const item = page.locator('#files li', { hasText: name });
  await item.waitFor();
  result.fileStatus = await item.getAttribute('data-status');
  result.fileState = await item.locator('.state').textContent();

  await page.getByLabel('Your question').fill(docQuestion);
  await page.getByRole('button', { name: 'Ask' }).click();
  const answer = page.locator('#messages li.tutor').last();
  await page.locator('#messages li.tutor:last-of-type[data-state="complete"]').waitFor();
  result.docAnswer = await answer.locator('.text').textContent();
  result.citations = await answer.locator('.sources li').evaluateAll((items) => items.map((li) => ({
    cite: li.querySelector('cite').textContent,
    passage: li.querySelector('blockquote').textContent,
  })));
  // shown, not just present: the conversation scrolled so that the citation is within its visible box
  result.citationsVisible = await answer.locator('.sources cite').first().evaluate((cite) => {
    const box = document.getElementById('messages').getBoundingClientRect();
    const r = cite.getBoundingClientRect();
    return r.height > 0 && r.top >= box.top && r.bottom <= box.bottom;
  });
  await page.screenshot({ path: join(shots, 'chat-cited.png') });

  result.refused = await upload(page, badFile);
  if (bigFile) result.tooLarge = await upload(page, bigFile);
  // the server kept serving: the list still loads and holds only the accepted file
  result.filesAfterRefusals = await page.locator('#files li .name').allTextContents();

  await page.getByRole('button', { name: `Delete ${name}` }).click();
  await page.locator('#files li', { hasText: name }).waitFor({ state: 'detached' });
  result.afterDelete = await page.locator('#upload-status').textContent();
  result.filesAfterDelete = await page.locator('#files li .name').allTextContents();
}

/** A server without a model and without avatars: the page says so instead of failing. */
async function unconfigured(page) {
  step('unconfigured');
  await page.goto('/');
  await signIn(page, existingEmail);
  await page.locator('#model-notice').waitFor({ state: 'visible' });
  result.modelNotice = await page.locator('#model-notice').textContent();
  await page.getByLabel('Your question').fill(question);
  await page.getByRole('button', { name: 'Ask' }).click();
  const answer = page.locator('#messages li.tutor[data-state="complete"]');
  await answer.waitFor();
  result.offlineAnswer = await answer.locator('.text').textContent();
  result.offlineNote = await answer.locator('.warn').textContent();
  await page.getByRole('tab', { name: 'Avatar' }).click();
  await page.locator('#avatar-none').waitFor({ state: 'visible' });
  result.avatarNone = await page.locator('#avatar-none').textContent();
  result.avatarFormVisible = await page.locator('#avatar-form').isVisible();
}

const browser = await launch();
const errors = [];
const failed = [];
const result = {};
try {
  mkdirSync(shots, { recursive: true });
  const options = { viewport: { width: 1280, height: 820 }, permissions: ['camera', 'microphone'], baseURL: base };
  const a = await browser.newContext(options);
  const b = await browser.newContext(options);
  const pageA = await a.newPage();
  const pageB = await b.newPage();
  for (const [name, p] of [['A', pageA], ['B', pageB]]) watch(p, name, errors, failed);
  pageA.setDefaultTimeout(TIMEOUT);
  pageB.setDefaultTimeout(TIMEOUT);

  if (mode === 'unconfigured') {
    await b.close();
    await unconfigured(pageA);
  } else {
    step('sign-up');
    await pageA.goto('/');
    await pageA.locator('#sign-up-email').fill(newEmail);
    await pageA.screenshot({ path: join(shots, 'login.png') });
    await signUp(pageA, newEmail);
    result.whoA = await pageA.locator('#who').textContent();

    step('chat');
    await pageA.locator('#tutor option:not([value=""])').first().waitFor({ state: 'attached' });
    const tutors = await pageA.locator('#tutor option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
    result.tutor = tutors[0];
    await pageA.selectOption('#tutor', tutors[0]);
    // Every text the answer shows, recorded as it changes: proof that it arrived piece by piece.
    await pageA.evaluate(() => {
      window.answerSeen = [];
      new MutationObserver(() => {
        const last = document.querySelector('#messages li.tutor:last-of-type');
        if (!last) return;
        const text = last.querySelector('.text').textContent;
        const seen = window.answerSeen;
        if (seen[seen.length - 1]?.text !== text) seen.push({ text, state: last.dataset.state });
      }).observe(document.getElementById('messages'), { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await pageA.evaluate(() => {
      window.audioLog = [];
      const player = document.getElementById('tts');
      for (const ev of ['playing', 'ended', 'error']) {
        player.addEventListener(ev, () => window.audioLog.push({ ev, path: new URL(player.currentSrc, location.href).pathname }));
      }
    });
    await pageA.getByLabel('Your question').fill(question);
    await pageA.getByLabel('Your question').press('Enter');
    const answer = pageA.locator('#messages li.tutor').last();
    await pageA.waitForFunction(() => {
      const last = document.querySelector('#messages li.tutor:last-of-type');
      return last && last.dataset.state === 'streaming' && last.querySelector('.text').textContent.length > 0;
    });
    result.partialWhileStreaming = await answer.locator('.text').textContent();
    await pageA.locator('#messages li.tutor[data-state="complete"]').waitFor();
    result.answer = await answer.locator('.text').textContent();
    result.answerSeen = await pageA.evaluate(() => window.answerSeen);
    if (expectedSentences > 0) {
      await pageA.waitForFunction((n) => window.audioLog.filter((e) => e.ev === 'ended').length >= n,
        expectedSentences, { timeout: TIMEOUT });
    }
    result.audioLog = await pageA.evaluate(() => window.audioLog);
    result.modelNoticeVisible = await pageA.locator('#model-notice').isVisible();
    result.uploadsOffVisible = await pageA.locator('#upload-off').isVisible();
    result.uploadBoxVisible = await pageA.locator('#upload-box').isVisible();
    result.avatarNoneVisible = await pageA.locator('#avatar-none').isVisible();
    await pageA.screenshot({ path: join(shots, 'chat.png') });
    if (result.answer !== expectedAnswer) throw new Error(`answer was ${JSON.stringify(result.answer)}`);

    step('chat-error');
    // A follow-up in the same conversation whose model fails half-way: the page keeps the text and shows the error.
    await pageA.getByLabel('Your question').fill(process.env.E2E_FOLLOW_UP || 'And then?');
    await pageA.getByRole('button', { name: 'Ask' }).click();
    const failedAnswer = pageA.locator('#messages li.tutor[data-state="error"]');
    await failedAnswer.waitFor();
    result.errorAnswerText = await failedAnswer.locator('.text').textContent();
    result.errorShown = await failedAnswer.locator('.error').textContent();

    step('documents');
    await documents(pageA);

    step('room');
    await pageA.getByRole('tab', { name: 'Video room' }).click();
    await pageA.getByRole('button', { name: 'Start a video room' }).click();
    await pageA.waitForFunction(() => document.getElementById('room-status').textContent.startsWith('In the room'));
    result.roomId = await pageA.locator('#room-id').inputValue();
    result.roomLink = await pageA.locator('#room-link a').getAttribute('href');

    // B opens the shared link, signs in, and lands on the room with its id filled in.
    step('sign-in');
    await pageB.goto(result.roomLink);
    await signIn(pageB, existingEmail);
    result.whoB = await pageB.locator('#who').textContent();
    result.linkOpensRoomTab = await pageB.getByRole('tab', { name: 'Video room' }).getAttribute('aria-selected');
    result.linkFillsRoomId = await pageB.getByLabel('Room id').inputValue();
    await pageB.locator('#room-join-form').getByRole('button', { name: 'Join' }).click();
    step('ice');
    result.stateA = await connected(pageA);
    result.stateB = await connected(pageB);
    result.pcA = await pageA.evaluate(() => document.getElementById('room-status').textContent);

    step('room-chat');
    await pageB.getByLabel('Message to the room').fill('Hello from B');
    await pageB.getByLabel('Message to the room').press('Enter');
    // each page shows a message when the server relays it, its sender's own page included: wait for both, as the
    // two pages read their sockets independently
    await pageA.locator('#room-messages li', { hasText: 'Hello from B' }).waitFor();
    await pageB.locator('#room-messages li', { hasText: 'Hello from B' }).waitFor();
    await pageA.getByLabel('Message to the room').fill('Hi B, A here');
    await pageA.getByRole('button', { name: 'Send' }).click();
    await pageB.locator('#room-messages li', { hasText: 'Hi B, A here' }).waitFor();
    await pageA.locator('#room-messages li', { hasText: 'Hi B, A here' }).waitFor();
    result.roomChatA = await pageA.locator('#room-messages li .text').allTextContents();
    result.roomChatB = await pageB.locator('#room-messages li .text').allTextContents();
    await pageA.screenshot({ path: join(shots, 'room.png') });

    step('peer-left');
    await b.close();
    await pageA.locator('#room-status[data-peer="left"]').waitFor();
    result.afterLeave = await pageA.locator('#room-status').textContent();
  }
  result.errors = errors;
  result.failedResponses = failed;
  out({ result });
} catch (e) {
  out({ error: String(e && e.stack ? e.stack : e), partial: result, errors });
  process.exitCode = 1;
} finally {
  await browser.close();
  stdin.close();
}
