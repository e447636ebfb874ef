// End-to-end run of the console's Courses tab in headless Chromium (Debian's chromium driven by playwright-core).
// Spawned by dev.lectern.server.CoursesConsoleE2eTest, which starts Lectern with a fake model and a fake transcription
// server, makes two accounts and a second course with a published exam.
//
// Environment: LECTERN_URL, E2E_SHOTS (screenshots), E2E_PASSWORD, E2E_LECTURER and E2E_STUDENT (e-mails),
// E2E_STUDENT_ID (the student's user id, enrolled through the page), E2E_RECORDING (an MP3 made with espeak-ng and
// ffmpeg), E2E_MATERIAL (a Markdown file), E2E_EXAM_TITLE (the published exam of the other course).
// Output on stdout, one JSON object a line: progress {"step": ...}, last {"result": {...}} or {"error": "..."}.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { env, launch, out, signIn, step, TIMEOUT, watch } from './browser.mjs';

const base = env('LECTERN_URL');
const shots = env('E2E_SHOTS');
const password = env('E2E_PASSWORD');
const lecturer = env('E2E_LECTURER');
const student = env('E2E_STUDENT');
const studentId = env('E2E_STUDENT_ID');
const recording = env('E2E_RECORDING');
const material = env('E2E_MATERIAL');
const examTitle = env('E2E_EXAM_TITLE');

const result = {};
const errors = [];
const failed = [];

async function open(browser, who, email) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: base });
  const page = await context.newPage();
  watch(page, who, errors, failed);
  page.setDefaultTimeout(TIMEOUT);
  await page.goto('/');
  await signIn(page, email, password);
  await page.getByRole('tab', { name: 'Courses' }).click();
  await page.locator('#courses-panel').waitFor({ state: 'visible' });
  return page;
}

/** The player's position in seconds once it has moved to at least `from` (a seek, then playback). */
async function seekedTo(page, from) {
  await page.waitForFunction((t) => {
    const p = document.getElementById('courses-player');
    return p && p.currentTime >= t;
  }, from);
  return page.evaluate(() => document.getElementById('courses-player').currentTime);
}

async function teach(page) {
  const panel = page.locator('#courses-panel');
  step('lecturer: create a course');
  const form = panel.locator('#courses-new');
  await form.getByLabel('Course title').fill('Botany');
  await form.getByLabel('Course code').fill('BIO101');
  await form.getByLabel('Term').fill('2026-autumn');
  await form.getByRole('button', { name: 'Create the course' }).click();
  await panel.locator('#courses-course-title', { hasText: 'BIO101 · Botany' }).waitFor();
  await panel.locator('#courses-list li', { hasText: 'Botany' }).waitFor();
  result.courseList = await panel.locator('#courses-list li').allTextContents();
  result.access = await panel.locator('#courses-course-about').textContent();

  step('lecturer: enrol the student');
  await panel.getByLabel('Enrol a student (user id)').fill(studentId);
  await panel.getByRole('button', { name: 'Enrol', exact: true }).click();
  await panel.locator('#courses-members', { hasText: '1 student enrolled' }).waitFor();
  result.members = await panel.locator('#courses-members').textContent();

  step('lecturer: add a lecture');
  const lecture = panel.locator('#courses-lecture-form');
  await lecture.getByLabel('Lecture title').fill('Photosynthesis');
  await lecture.getByLabel('Lecture date').fill('2026-10-05');
  await lecture.getByRole('button', { name: 'Add the lecture' }).click();
  await panel.locator('#courses-lecture-title', { hasText: 'Photosynthesis' }).waitFor();

  step('lecturer: upload a material');
  const materials = panel.locator('#courses-material-form');
  await materials.getByLabel('Material (PDF, Word, text, Markdown)').setInputFiles(material);
  await materials.getByLabel('Attached to').selectOption({ label: 'Photosynthesis' });
  await materials.getByRole('button', { name: 'Upload the material' }).click();
  await panel.locator('#courses-material-status[data-kind=ok]').waitFor();
  result.materialStatus = await panel.locator('#courses-material-status').textContent();
  await panel.locator('#courses-materials li', { hasText: 'roots.md' }).waitFor();
  result.materials = await panel.locator('#courses-materials li').allTextContents();

  step('lecturer: upload the recording');
  const rec = panel.locator('#courses-recording-form');
  await rec.getByLabel('Recording (audio or video)').setInputFiles(recording);
  await rec.getByRole('button', { name: 'Upload the recording' }).click();
  await panel.locator('#courses-recording-status[data-kind=ok]').waitFor();
  result.statusesSeen = [await panel.locator('#courses-transcript-state').getAttribute('data-status')];
  await panel.locator('#courses-transcript-state[data-status=transcribed]').waitFor({ timeout: 120_000 });
  result.transcriptState = await panel.locator('#courses-transcript-state').textContent();
  // the state shows before the transcript's segments are fetched and drawn: wait for them, then read them
  await panel.locator('#courses-transcript .segment-text').nth(2).waitFor();
  result.segments = await panel.locator('#courses-transcript .segment-text').allTextContents();
  result.times = await panel.locator('#courses-transcript .seek').allTextContents();
  result.firstSegment = await panel.locator('#courses-transcript > li').first().textContent();
  result.playerTag = await panel.locator('#courses-player').evaluate((p) => p.tagName.toLowerCase());
  await page.screenshot({ path: join(shots, 'courses-lecture.png') });

  step('lecturer: a segment seeks the player');
  const second = panel.locator('#courses-transcript > li').nth(1);
  result.secondStartMs = Number(await second.getAttribute('data-start'));
  result.positionBefore = await page.evaluate(() => document.getElementById('courses-player').currentTime);
  await second.locator('button.seek').click();
  result.positionAfterClick = await seekedTo(page, result.secondStartMs / 1000 - 0.05);
  await page.evaluate(() => document.getElementById('courses-player').pause());

  step('lecturer: correct a segment');
  const third = panel.locator('#courses-transcript > li').nth(2);
  await third.getByRole('button', { name: /^Correct the segment/ }).click();
  await third.getByRole('textbox').fill('See you next week, with your questions.');
  await third.getByRole('button', { name: 'Save' }).click();
  await third.locator('.segment-text', { hasText: 'with your questions' }).waitFor();
  result.corrected = await third.textContent();

  step('lecturer: the lecture notes, written by the job after the transcript');
  await panel.locator('#courses-key-points li', { hasText: 'chlorophyll' }).waitFor();
  result.summary = await panel.locator('#courses-summary').textContent();
  result.keyPoints = await panel.locator('#courses-key-points li').allTextContents();
}

async function learn(page) {
  const panel = page.locator('#courses-panel');
  step('student: my courses and my exams');
  await panel.locator('#courses-list li', { hasText: 'Botany' }).waitFor();
  result.studentCourses = await panel.locator('#courses-list li').allTextContents();
  const exam = panel.locator('#courses-exam-list > li', { hasText: examTitle });
  await exam.waitFor();
  result.myExam = await exam.textContent();
  result.myExamStatus = await exam.getAttribute('data-status');
  result.newCourseHidden = await panel.locator('#courses-new').isHidden();

  step('student: the course and its lecture');
  await panel.locator('#courses-list').getByRole('button', { name: /Botany/ }).click();
  await panel.locator('#courses-course-title', { hasText: 'Botany' }).waitFor();
  result.studentAccess = await panel.locator('#courses-course-about').textContent();
  result.studentSeesTeachForms = await panel.locator('#courses-lecture-form').isVisible();
  await panel.locator('#courses-lectures li', { hasText: 'Photosynthesis' }).waitFor();
  result.studentLectures = await panel.locator('#courses-lectures li').allTextContents();

  step('student: ask the course');
  await page.evaluate(() => {
    window.answerStates = [];
    const box = document.getElementById('courses-answer');
    new MutationObserver(() => {
      const t = box.querySelector('.answer-text');
      if (t && window.answerStates[window.answerStates.length - 1] !== t.textContent) {
        window.answerStates.push(t.textContent);
      }
    }).observe(box, { childList: true, subtree: true, characterData: true });
  });
  await panel.getByLabel('Question for the course').fill('What absorbs light in the chloroplasts?');
  await panel.getByRole('button', { name: 'Ask the course' }).click();
  await panel.locator('#courses-answer[data-state=complete]').waitFor();
  result.answer = await panel.locator('#courses-answer .answer-text').textContent();
  result.answerStates = await page.evaluate(() => window.answerStates);
  const cite = panel.locator('#courses-answer a.cite-lecture').first();
  result.citation = await cite.textContent();
  result.citationStartMs = Number(await cite.getAttribute('data-start'));
  result.materialCitations = await panel.locator('#courses-answer cite.cite-material').allTextContents();
  await page.screenshot({ path: join(shots, 'courses-answer.png') });

  step('student: the citation seeks the lecture player');
  await cite.click();
  await panel.locator('#courses-lecture-title', { hasText: 'Photosynthesis' }).waitFor();
  await panel.locator('#courses-player').waitFor();
  result.studentPosition = await seekedTo(page, result.citationStartMs / 1000 - 0.05);
  await page.evaluate(() => document.getElementById('courses-player').pause());
  await panel.locator('#courses-transcript .segment-text').nth(2).waitFor();
  result.studentSegments = await panel.locator('#courses-transcript .segment-text').allTextContents();
  result.studentMayCorrect = await panel.getByRole('button', { name: /^Correct the segment/ }).count();
  result.studentKeyPoints = await panel.locator('#courses-key-points li').allTextContents();

  step('student: the lecture by its link, in a new page');
  const link = await page.evaluate(() => location.hash);
  const other = await page.context().newPage();
  watch(other, 'student link', errors, failed);
  other.setDefaultTimeout(TIMEOUT);
  await other.goto(`/${link}`);
  await signIn(other, student, password); // the token lives in each page's sessionStorage
  await other.locator('#courses-lecture-title', { hasText: 'Photosynthesis' }).waitFor();
  // the title shows before the transcript has loaded: wait for its segments, then count them
  await other.locator('#courses-transcript .segment-text').nth(2).waitFor();
  result.deepLink = link;
  result.deepLinkSegments = await other.locator('#courses-transcript .segment-text').count();
  await other.close();

  step('student: a question the course does not cover');
  await panel.getByLabel('Question for the course').fill('Who won the 1998 football world cup?');
  await panel.getByRole('button', { name: 'Ask the course' }).click();
  await panel.locator('#courses-answer[data-state=no_passage]').waitFor();
  result.noPassage = await panel.locator('#courses-answer .answer-text').textContent();
  result.noPassageSources = await panel.locator('#courses-answer .sources li').count();

  step('student: start the exam from My exams');
  await exam.getByRole('button', { name: `Start: ${examTitle}` }).click();
  await page.locator('#exams-panel').waitFor({ state: 'visible' });
  await page.locator('#exams-attempt-title', { hasText: examTitle }).waitFor();
  result.coursesHiddenInExams = await page.locator('#courses-panel').isHidden();
  await page.getByRole('tab', { name: 'Courses' }).click();
  await panel.getByRole('button', { name: 'Refresh my exams' }).click();
  await panel.locator(`#courses-exam-list > li[data-status=in_progress]`, { hasText: examTitle }).waitFor();
  result.myExamAfterStart = await panel.locator('#courses-exam-list > li', { hasText: examTitle }).textContent();
  await page.screenshot({ path: join(shots, 'courses-student.png') });
}

const browser = await launch();
try {
  mkdirSync(shots, { recursive: true });
  step('lecturer: sign in');
  await teach(await open(browser, 'lecturer', lecturer));
  step('student: sign in');
  await learn(await open(browser, 'student', student));
  result.errors = errors;
  result.failedResponses = failed;
  out({ result });
} catch (e) {
  out({ error: String(e && e.stack ? e.stack : e), partial: result, errors, failed });
  process.exitCode = 1;
} finally {
  await browser.close();
}
