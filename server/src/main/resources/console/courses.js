// Lectern console, Courses tab (issues #24, #25): for lecturers, their courses (create one; details, members,
// materials, lectures in order), each lecture's recording (upload with progress, transcription status), its transcript
// beside an HTML5 player (a segment seeks the player; lecturers correct segments) and its notes; for students, the
// courses they may see, their lectures, "Ask the course" (an SSE answer streamed in, its citations as links: a lecture
// citation seeks that lecture's player, a material citation names file and page) and "My exams" (status, window, the
// score once released; taking an exam hands over to the Exams tab).
// Self-contained beside app.js and exams.js: it builds its own tab and reads the token app.js keeps in sessionStorage.
// Every string from the server is set with textContent (never innerHTML). Deep link: #course=<id>[&lecture=<id>].

import { readEvents } from '/console/app.js';
import { api, el, guarded, say, showPanel, sleep } from '/console/exams.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'lectern.token';
const VIDEO_TYPES = new Set(['mp4', 'mkv', 'mov', 'webm']);
const STATUS_NAMES = {
  not_started: 'not started', in_progress: 'in progress', submitted: 'submitted', released: 'results released',
};

const co = { role: null, courses: [], course: null, lectures: [], lecture: null, watch: 0, askAbort: null };

// ---------------------------------------------------------------- helpers

const enc = encodeURIComponent;
const teaching = () => Boolean(co.course) && co.course.access !== 'student';

/** 0:07, 12:05, 1:02:03 */
function clock(ms) {
  const s = Math.max(0, Math.floor((ms || 0) / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor(s / 60) % 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

const when = (ms) => (ms ? new Date(ms).toLocaleString() : '—');
const pts = (n) => String(Math.round(n * 100) / 100);
const plural = (n, one) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** A multipart upload with progress (fetch cannot report an upload's progress); resolves with the JSON reply. */
function upload(path, form, bar) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) xhr.setRequestHeader('Authorization', 'Bearer ' + token);
    xhr.responseType = 'json';
    bar.hidden = false;
    bar.value = 0;
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.addEventListener('load', () => {
      bar.hidden = true;
      const fresh = xhr.getResponseHeader('X-New-Token');
      if (fresh) sessionStorage.setItem(TOKEN_KEY, fresh);
      const body = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new Error(body && body.message ? body.message : `${xhr.status} ${xhr.statusText}`));
    });
    xhr.addEventListener('error', () => {
      bar.hidden = true;
      reject(new Error('The upload failed: the connection was lost.'));
    });
    xhr.send(form);
  });
}

function route(params) {
  const hash = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) hash.set(k, v);
  history.replaceState(null, '', hash.toString() ? `#${hash}` : location.pathname);
}

// ---------------------------------------------------------------- tab

const showTab = (on) => showPanel('tab-courses', on);

async function opened() {
  showTab(true);
  const status = $('courses-status');
  await guarded(status, async () => {
    const me = await api('GET', '/api/token_status');
    co.role = me.role;
    $('courses-new').hidden = co.role === 'student';
    await loadCourses();
    const link = new URLSearchParams(location.hash.slice(1));
    if (link.get('course') && (!co.course || co.course.id !== link.get('course'))) {
      await openCourse(link.get('course'));
      if (link.get('lecture')) await openLecture(link.get('lecture'));
    }
  });
}

// ---------------------------------------------------------------- my courses, my exams

async function loadCourses() {
  const page = await api('GET', '/api/courses?page_size=100');
  co.courses = page.courses || [];
  const list = $('courses-list');
  list.replaceChildren(...co.courses.map((c) => el('li', {}, el('button', { type: 'button', class: 'link',
    'data-course': c.id, 'aria-current': co.course && co.course.id === c.id ? 'true' : null,
    text: `${c.code ? `${c.code} · ` : ''}${c.title}`,
    onclick: () => guarded($('courses-status'), () => openCourse(c.id)) }),
  c.term ? el('span', { class: 'hint', text: ` ${c.term}` }) : null)));
  $('courses-empty').hidden = co.courses.length > 0;
  $('courses-empty').textContent = co.role === 'student' ? 'You are not enrolled in a course yet.'
    : 'No courses yet: create one below.';
  $('courses-my-exams').hidden = co.role !== 'student';
  if (co.role === 'student') await loadMyExams();
}

/** Every published exam of the student's courses (GET /api/courses/{id}/exams/mine). */
async function loadMyExams() {
  const list = $('courses-exam-list');
  const rows = [];
  for (const c of co.courses) {
    const mine = await api('GET', `/api/courses/${enc(c.id)}/exams/mine`);
    for (const e of mine.exams) rows.push({ course: c, exam: e });
  }
  list.replaceChildren(...rows.map(({ course, exam }) => myExam(course, exam)));
  $('courses-exams-empty').hidden = rows.length > 0;
}

function myExam(course, e) {
  const status = STATUS_NAMES[e.status] || e.status;
  const item = el('li', { class: 'card course-exam', 'data-exam': e.examId, 'data-status': e.status },
    el('p', { class: 'course-exam-title', text: e.title || 'Exam' }),
    el('p', { class: 'hint', text: `${course.title} · open ${when(e.opensAt)} – ${when(e.closesAt)} · `
      + `${Math.round(e.timeLimitMillis / 60_000)} min` }),
    el('p', { class: 'course-exam-status', text: e.status === 'released' && e.score !== null
      ? `${status}: ${pts(e.score)} of ${pts(e.maxPoints)} points` : status }));
  const take = (label, results) => el('button', { type: 'button', class: results ? 'quiet' : '', text: label,
    'aria-label': `${label}: ${e.title}`, onclick: () => handOver(e.examId, results) });
  if (e.status === 'not_started' && e.open) item.append(take('Start', false));
  else if (e.status === 'in_progress') item.append(take('Resume', false));
  else if (e.status === 'released') item.append(take('See results', true));
  return item;
}

/** Opens the exam in the Exams tab (exams.js), and its results when asked. */
async function handOver(examId, results) {
  $('tab-exams').click();
  const form = $('exams-take-form');
  form.querySelector('[name=exam]').value = examId;
  form.requestSubmit();
  if (results) {
    const button = $('exams-results-button');
    for (let i = 0; i < 100 && (button.hidden || $('exams-attempt').hidden); i++) await sleep(100);
    button.click();
  }
}

async function createCourse(form) {
  const v = (n) => form.querySelector(`[name=${n}]`).value.trim() || undefined;
  const c = await api('POST', '/api/courses', { title: v('title'), code: v('code'), term: v('term'),
    language: v('language'), description: v('description') });
  form.reset();
  say($('courses-status'), `Created “${c.title}”.`, 'ok');
  await openCourse(c.id);
  await loadCourses();
}

// ---------------------------------------------------------------- a course

async function openCourse(id) {
  co.lecture = null;
  co.watch += 1; // stops watching another lecture's transcription
  const [course, lectures] = await Promise.all([api('GET', `/api/courses/${enc(id)}`),
    api('GET', `/api/courses/${enc(id)}/lectures`)]);
  co.course = course;
  co.lectures = lectures.lectures;
  $('courses-none').hidden = true;
  $('courses-course').hidden = false;
  $('courses-lecture').hidden = true;
  $('courses-course-title').textContent = `${course.code ? `${course.code} · ` : ''}${course.title}`;
  $('courses-course-about').textContent = [course.term, course.language, `your access: ${course.access}`]
    .filter(Boolean).join(' · ');
  $('courses-course-description').textContent = course.description || '';
  const n = (list, one) => plural((list || []).length, one);
  $('courses-members').textContent = [n(course.lecturers, 'lecturer'), n(course.groups, 'group'),
    teaching() ? `${n(course.students, 'student')} enrolled explicitly` : null]
    .filter(Boolean).join(' · ');
  for (const t of document.querySelectorAll('#courses-course .teach-only')) t.hidden = !teaching();
  renderLectures();
  if (teaching()) await Promise.all([loadMaterials(), loadGroups()]);
  $('courses-answer').replaceChildren();
  say($('courses-ask-status'), '');
  route({ course: id });
  for (const b of document.querySelectorAll('#courses-list button')) {
    if (b.dataset.course === id) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
}

function renderLectures() {
  const list = $('courses-lectures');
  list.replaceChildren(...co.lectures.map((l, i) => {
    const item = el('li', { 'data-lecture': l.id },
      el('button', { type: 'button', class: 'link', text: `${i + 1}. ${l.title}`,
        onclick: () => guarded($('courses-status'), () => openLecture(l.id)) }),
      el('span', { class: 'hint', text: ` ${[l.date, transcriptWords(l)].filter(Boolean).join(' · ')}` }));
    if (teaching()) {
      item.append(' ', el('button', { type: 'button', class: 'quiet small', text: '↑', disabled: i === 0,
        'aria-label': `Move “${l.title}” up`, onclick: () => guarded($('courses-status'), () => move(l, i - 1)) }),
      el('button', { type: 'button', class: 'quiet small', text: '↓', disabled: i === co.lectures.length - 1,
        'aria-label': `Move “${l.title}” down`, onclick: () => guarded($('courses-status'), () => move(l, i + 1)) }));
    }
    return item;
  }));
  $('courses-lectures-empty').hidden = co.lectures.length > 0;
  const select = $('courses-material-lecture');
  select.replaceChildren(el('option', { value: '', text: '(the whole course)' }),
    ...co.lectures.map((l) => el('option', { value: l.id, text: l.title })));
}

function transcriptWords(l) {
  if (!l.has_recording) return 'no recording';
  return { queued: 'transcription queued', transcribing: 'transcribing…', transcribed: 'transcript',
    not_transcribed: 'not transcribed', failed: 'transcription failed' }[l.transcript_status] || l.transcript_status;
}

async function move(lecture, position) {
  await api('PATCH', `/api/lectures/${enc(lecture.id)}`, { position });
  co.lectures = (await api('GET', `/api/courses/${enc(co.course.id)}/lectures`)).lectures;
  renderLectures();
}

async function addLecture(form) {
  const v = (n) => form.querySelector(`[name=${n}]`).value.trim() || undefined;
  const l = await api('POST', `/api/courses/${enc(co.course.id)}/lectures`, { title: v('title'), date: v('date'),
    description: v('description') });
  form.reset();
  co.lectures.push(l);
  renderLectures();
  say($('courses-lecture-add-status'), `Added “${l.title}”.`, 'ok');
  await openLecture(l.id);
}

async function loadMaterials() {
  const { materials } = await api('GET', `/api/courses/${enc(co.course.id)}/materials`);
  const lectureTitle = (id) => (co.lectures.find((l) => l.id === id) || {}).title;
  $('courses-materials').replaceChildren(...materials.map((m) => el('li', { 'data-status': m.status },
    el('span', { text: m.filename }),
    el('span', { class: 'hint', text: ` ${[m.file_type, `${Math.ceil(m.size / 1024)} KB`, m.status,
      m.status === 'indexed' ? plural(m.passages, 'passage') : m.error, lectureTitle(m.lecture_id)].filter(Boolean)
      .join(' · ')}` }))));
  $('courses-materials-empty').hidden = materials.length > 0;
}

async function uploadMaterial(form) {
  const data = new FormData();
  const lecture = $('courses-material-lecture').value;
  if (lecture) data.append('lecture_id', lecture);
  data.append('file', $('courses-material-file').files[0]);
  const m = await upload(`/api/courses/${enc(co.course.id)}/materials`, data, $('courses-material-bar'));
  form.reset();
  say($('courses-material-status'), m.status === 'indexed' ? `${m.filename}: indexed, ${plural(m.passages, 'passage')}.`
    : `${m.filename}: ${m.status}${m.error ? ` (${m.error})` : ''}`, m.status === 'indexed' ? 'ok' : 'error');
  await loadMaterials();
}

async function loadGroups() {
  const { groups } = await api('GET', '/api/org/groups');
  const shared = new Set(co.course.groups || []);
  $('courses-group').replaceChildren(...groups.filter((g) => !shared.has(g.id))
    .map((g) => el('option', { value: g.id, text: g.name })));
  $('courses-share-form').hidden = !teaching() || !$('courses-group').options.length;
}

async function share() {
  await api('POST', `/api/courses/${enc(co.course.id)}/groups`, { group_id: $('courses-group').value });
  say($('courses-members-status'), 'Shared with the group.', 'ok');
  await openCourse(co.course.id);
}

async function enrol(form) {
  const id = form.querySelector('[name=user]').value.trim();
  await api('POST', `/api/courses/${enc(co.course.id)}/students`, { user_id: id });
  form.reset();
  say($('courses-members-status'), `Enrolled user ${id}.`, 'ok');
  await openCourse(co.course.id);
}

// ---------------------------------------------------------------- a lecture: recording, transcript, player, notes

async function openLecture(id) {
  const l = await api('GET', `/api/lectures/${enc(id)}`);
  co.lecture = l;
  co.watch += 1;
  const box = $('courses-lecture');
  box.hidden = false;
  $('courses-lecture-title').textContent = l.title;
  $('courses-lecture-about').textContent = [l.date, l.description].filter(Boolean).join(' · ');
  for (const b of document.querySelectorAll('#courses-lectures li')) {
    b.toggleAttribute('data-open', b.dataset.lecture === id);
  }
  route({ course: co.course && co.course.id, lecture: id });
  await showLecture(l);
  watch(l);
  box.scrollIntoView({ block: 'start' });
}

async function showLecture(l) {
  co.lecture = l;
  renderStatus(l, null);
  renderNotes(l);
  await Promise.all([loadPlayer(l), loadTranscript(l)]);
}

function renderStatus(l, job) {
  const state = $('courses-transcript-state');
  const bar = $('courses-transcript-bar');
  state.dataset.status = l.has_recording ? l.transcript_status : 'none';
  let text;
  if (!l.has_recording) text = teaching() ? 'No recording yet: upload one to transcribe it.' : 'No recording yet.';
  else if (l.transcript_status === 'not_transcribed') text = `Not transcribed: ${l.transcript_reason || 'no transcription service is configured'}.`;
  else if (l.transcript_status === 'failed') text = `Transcription failed: ${l.transcript_reason || 'see the job'}.`;
  else if (l.transcript_status === 'transcribed') text = `Transcribed${l.duration_ms ? ` (${clock(l.duration_ms)})` : ''}.`;
  else text = `Transcription ${l.transcript_status}${job && job.progressMessage ? `: ${job.progressMessage}` : '…'}`;
  state.textContent = text;
  const running = l.transcript_status === 'queued' || l.transcript_status === 'transcribing';
  bar.hidden = !running;
  if (running && job && typeof job.progress === 'number') bar.value = job.progress;
  else if (running) bar.removeAttribute('value');
}

const transcribing = (l) => l.transcript_status === 'queued' || l.transcript_status === 'transcribing';

/**
 * Follows the lecture while its transcription runs or its notes are queued: the job's progress for its lecturers, the
 * lecture's status for all; the transcript and player once transcribed, the notes once written.
 */
function watch(l) {
  if (!transcribing(l) && l.notes_status !== 'queued') return;
  const mine = ++co.watch;
  guarded($('courses-transcript-state'), async () => {
    let last = l;
    for (;;) {
      await sleep(1000);
      if (mine !== co.watch) return;
      const fresh = await api('GET', `/api/lectures/${enc(l.id)}`);
      let job = null;
      if (teaching() && transcribing(fresh) && fresh.transcript_job_id) {
        try {
          job = await api('GET', `/api/jobs/${enc(fresh.transcript_job_id)}`);
        } catch (e) {
          job = null; // another lecturer's job: the lecture's status is enough
        }
      }
      if (mine !== co.watch) return;
      if (transcribing(last) && !transcribing(fresh)) {
        await showLecture(fresh);
        const i = co.lectures.findIndex((x) => x.id === fresh.id);
        if (i >= 0) co.lectures[i] = fresh;
        renderLectures();
      } else {
        co.lecture = fresh;
        renderStatus(fresh, job);
        if (fresh.notes_status !== last.notes_status) notesChanged(fresh);
      }
      last = fresh;
      if (!transcribing(fresh) && fresh.notes_status !== 'queued') return;
    }
  });
}

function notesChanged(l) {
  renderNotes(l);
  if (l.notes_status === 'done' || l.notes_status === 'failed') {
    say($('courses-notes-status'), l.notes_status === 'done' ? 'Notes written.' : 'The notes could not be written.',
      l.notes_status === 'done' ? 'ok' : 'error');
  }
}

async function loadPlayer(l) {
  const box = $('courses-player-box');
  box.replaceChildren();
  if (!l.has_recording) return;
  const { url } = await api('GET', `/api/lectures/${enc(l.id)}/recording`);
  const video = VIDEO_TYPES.has(l.recording_type);
  const player = el(video ? 'video' : 'audio', { id: 'courses-player', controls: true, preload: 'auto',
    playsinline: video ? true : null, 'aria-label': `Recording of ${l.title}`, src: url });
  player.addEventListener('timeupdate', () => follow(player.currentTime * 1000));
  box.append(player);
}

/** Seeks the player to a moment and plays from there (once its metadata is known). */
function seek(ms) {
  const player = $('courses-player');
  if (!player) return;
  const go = () => {
    player.currentTime = ms / 1000;
    player.play().catch(() => { /* the user presses play */ });
  };
  if (player.readyState >= 1) go();
  else player.addEventListener('loadedmetadata', go, { once: true });
  player.focus();
}

/** Marks the segment being played. */
function follow(ms) {
  for (const li of document.querySelectorAll('#courses-transcript > li')) {
    const on = ms >= Number(li.dataset.start) && ms < Number(li.dataset.end);
    if (on) li.setAttribute('aria-current', 'true');
    else li.removeAttribute('aria-current');
  }
}

async function loadTranscript(l) {
  const list = $('courses-transcript');
  list.replaceChildren();
  $('courses-transcript-empty').hidden = l.transcript_status === 'transcribed';
  $('courses-vtt').hidden = l.transcript_status !== 'transcribed';
  if (l.transcript_status !== 'transcribed') return;
  const { segments } = await api('GET', `/api/lectures/${enc(l.id)}/transcript`);
  list.append(...segments.map((s) => segment(l, s)));
  $('courses-transcript-empty').hidden = segments.length > 0;
}

function segment(l, s) {
  const item = el('li', { class: 'segment', 'data-seq': s.seq, 'data-start': s.start_ms, 'data-end': s.end_ms });
  const render = (seg) => {
    item.replaceChildren(el('button', { type: 'button', class: 'seek', text: clock(seg.start_ms),
      'aria-label': `Play from ${clock(seg.start_ms)}`, onclick: () => seek(seg.start_ms) }),
    el('span', { class: 'segment-text', text: seg.text }));
    if (seg.corrected) item.append(el('span', { class: 'hint', text: ' (corrected)' }));
    item.querySelector('.segment-text').addEventListener('click', () => seek(seg.start_ms));
    if (teaching()) {
      item.append(el('button', { type: 'button', class: 'quiet small', text: 'Correct',
        'aria-label': `Correct the segment at ${clock(seg.start_ms)}`, onclick: () => edit(seg) }));
    }
  };
  const edit = (seg) => {
    const text = el('textarea', { rows: 2, 'aria-label': `Text at ${clock(seg.start_ms)}` });
    text.value = seg.text;
    const status = el('span', { class: 'status', role: 'status' });
    const form = el('form', { class: 'segment-edit' }, text,
      el('button', { type: 'submit', text: 'Save' }),
      el('button', { type: 'button', class: 'quiet', text: 'Cancel', onclick: () => render(seg) }), status);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      guarded(status, async () => {
        const saved = await api('PUT', `/api/lectures/${enc(l.id)}/transcript/${seg.seq}`, { text: text.value });
        render(saved);
      });
    });
    item.replaceChildren(el('span', { class: 'seek', text: clock(seg.start_ms) }), form);
    text.focus();
  };
  render(s);
  return item;
}

function renderNotes(l) {
  const has = Boolean(l.summary || l.key_points);
  $('courses-notes').hidden = !has && !teaching();
  $('courses-summary').textContent = l.summary || '';
  const points = (l.key_points || '').split('\n').map((p) => p.replace(/^\s*[-*•]\s*/, '').trim()).filter(Boolean);
  $('courses-key-points').replaceChildren(...points.map((p) => el('li', { text: p })));
  $('courses-notes-empty').hidden = has;
  $('courses-notes-empty').textContent = l.notes_status && l.notes_status !== 'done'
    ? `Notes: ${l.notes_status}.` : 'No notes yet.';
  $('courses-make-notes').hidden = !teaching() || l.transcript_status !== 'transcribed';
}

async function makeNotes() {
  await api('POST', `/api/lectures/${enc(co.lecture.id)}/notes`);
  say($('courses-notes-status'), 'Writing the notes…');
  watch(await api('GET', `/api/lectures/${enc(co.lecture.id)}`));
}

async function uploadRecording(form) {
  const status = $('courses-recording-status');
  const data = new FormData();
  data.append('file', $('courses-recording-file').files[0]);
  say(status, 'Uploading…');
  const l = await upload(`/api/lectures/${enc(co.lecture.id)}/recording`, data, $('courses-recording-bar'));
  form.reset();
  say(status, `Uploaded ${l.recording_type ? `(${l.recording_type})` : ''}.`, 'ok');
  await showLecture(l);
  watch(l);
}

// ---------------------------------------------------------------- ask the course

async function ask(form) {
  const input = form.querySelector('[name=question]');
  const question = input.value.trim();
  if (!question) return;
  if (co.askAbort) co.askAbort.abort();
  const abort = new AbortController();
  co.askAbort = abort;
  const box = $('courses-answer');
  const text = el('p', { class: 'answer-text' });
  const sources = el('ol', { class: 'sources', 'aria-label': 'Sources of the answer' });
  box.replaceChildren(el('p', { class: 'hint', text: question }), text, sources);
  box.dataset.state = 'waiting';
  box.setAttribute('aria-busy', 'true');
  const status = $('courses-ask-status');
  say(status, 'Searching the course…');
  try {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const res = await fetch(`/api/courses/${enc(co.course.id)}/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream',
        ...(token ? { Authorization: 'Bearer ' + token } : {}) },
      body: JSON.stringify({ question }),
      signal: abort.signal,
    });
    if (!res.ok) {
      let b = null;
      try {
        b = await res.json();
      } catch (e) {
        // not JSON
      }
      throw new Error(b && b.message ? b.message : `${res.status} ${res.statusText}`);
    }
    await readEvents(res.body, (event) => onAnswer(event, box, text, sources, status));
    if (box.dataset.state === 'streaming' || box.dataset.state === 'waiting') {
      box.dataset.state = 'error';
      say(status, 'The answer was cut off.', 'error');
    }
  } catch (err) {
    if (err.name !== 'AbortError') {
      box.dataset.state = 'error';
      say(status, err.message, 'error');
    }
  } finally {
    box.removeAttribute('aria-busy');
    if (co.askAbort === abort) co.askAbort = null;
  }
}

function onAnswer(event, box, text, sources, status) {
  switch (event.type) {
    case 'sources':
      box.dataset.state = 'streaming';
      say(status, 'Answering…');
      sources.append(...event.sources.map(citation));
      break;
    case 'chunk':
      box.dataset.state = 'streaming';
      text.textContent += event.text;
      break;
    case 'done':
      box.dataset.state = 'complete';
      say(status, '');
      break;
    case 'no_passage':
      box.dataset.state = 'no_passage';
      text.textContent = event.text;
      text.classList.add('no-passage');
      say(status, 'Nothing in this course answers that.', '');
      break;
    case 'error':
      box.dataset.state = 'error';
      say(status, `${event.message || 'The course could not answer.'}${event.code ? ` (${event.code})` : ''}`, 'error');
      break;
    default:
      break;
  }
}

/** A numbered source: a lecture's moment (a link that opens the lecture and seeks its player) or a file's page. */
function citation(s) {
  const quote = el('blockquote', { text: s.text || '' });
  if (s.type === 'lecture') {
    const link = el('a', { href: `#course=${enc(co.course.id)}&lecture=${enc(s.id)}`, class: 'cite-lecture',
      'data-start': s.start_ms, text: s.citation || `${s.name} @ ${clock(s.start_ms)}` });
    link.addEventListener('click', (e) => {
      e.preventDefault();
      guarded($('courses-ask-status'), async () => {
        if (!co.lecture || co.lecture.id !== s.id) await openLecture(s.id);
        seek(s.start_ms);
      });
    });
    return el('li', {}, link, quote);
  }
  return el('li', {}, el('cite', { class: 'cite-material', text: s.page ? `${s.name}, page ${s.page}` : s.name }),
    quote);
}

// ---------------------------------------------------------------- the tab and its panel, built here

function buildPanel() {
  const nav = document.querySelector('nav.tabs');
  nav.append(el('button', { type: 'button', role: 'tab', id: 'tab-courses', 'aria-controls': 'courses-panel',
    'aria-selected': 'false', tabindex: '-1', text: 'Courses' }));
  const status = (id) => el('p', { id, class: 'status', role: 'status', 'aria-live': 'polite' });
  const field = (id, label, attrs = {}, tag = 'input') => [el('label', { for: id, text: label }),
    el(tag, { id, autocomplete: 'off', ...attrs })];
  const bar = (id, label) => el('progress', { id, class: 'bar', max: '100', 'aria-label': label, hidden: true });
  const panel = el('section', { id: 'courses-panel', class: 'panel', role: 'tabpanel',
    'aria-labelledby': 'tab-courses', hidden: true },
  el('div', { class: 'courses-layout' },
    el('aside', { class: 'card side' },
      el('h2', { text: 'My courses' }),
      el('ul', { id: 'courses-list', class: 'course-list', 'aria-label': 'My courses' }),
      el('p', { id: 'courses-empty', class: 'hint', hidden: true }),
      status('courses-status'),
      el('section', { id: 'courses-my-exams', hidden: true },
        el('h2', { text: 'My exams' }),
        el('ol', { id: 'courses-exam-list', class: 'course-exams', 'aria-label': 'My exams' }),
        el('p', { id: 'courses-exams-empty', class: 'hint', text: 'No published exams in your courses.', hidden: true }),
        el('button', { type: 'button', id: 'courses-exams-refresh', class: 'quiet', text: 'Refresh my exams' })),
      el('form', { id: 'courses-new', hidden: true },
        el('h3', { text: 'New course' }),
        ...field('courses-new-title', 'Course title', { name: 'title', required: true, maxlength: '200' }),
        ...field('courses-new-code', 'Course code', { name: 'code', placeholder: 'BIO101' }),
        ...field('courses-new-term', 'Term', { name: 'term', placeholder: '2026-autumn' }),
        ...field('courses-new-language', 'Teaching language', { name: 'language', placeholder: 'en' }),
        ...field('courses-new-description', 'Course description', { name: 'description', rows: '2' }, 'textarea'),
        el('button', { type: 'submit', text: 'Create the course' }))),
    el('p', { id: 'courses-none', class: 'card hint', text: 'Choose a course to see its lectures.' }),
    el('div', { id: 'courses-course', class: 'card course', hidden: true },
      el('h2', { id: 'courses-course-title' }),
      el('p', { id: 'courses-course-about', class: 'hint' }),
      el('p', { id: 'courses-course-description' }),
      el('p', { id: 'courses-members', class: 'hint' }),
      el('div', { class: 'teach-only course-members' },
        el('form', { id: 'courses-enrol-form', class: 'inline-form' },
          ...field('courses-enrol-user', 'Enrol a student (user id)', { name: 'user', required: true }),
          el('button', { type: 'submit', text: 'Enrol' })),
        el('form', { id: 'courses-share-form', class: 'inline-form', hidden: true },
          el('label', { for: 'courses-group', text: 'Share with a group' }), el('select', { id: 'courses-group' }),
          el('button', { type: 'submit', text: 'Share' })),
        status('courses-members-status')),
      el('section', { class: 'course-ask', 'aria-labelledby': 'courses-ask-title' },
        el('h3', { id: 'courses-ask-title', text: 'Ask the course' }),
        el('form', { id: 'courses-ask-form', class: 'composer' },
          el('label', { for: 'courses-question', class: 'sr-only', text: 'Question for the course' }),
          el('textarea', { id: 'courses-question', name: 'question', rows: '2', required: true, maxlength: '2000',
            placeholder: 'Ask about the lectures and materials…' }),
          el('button', { type: 'submit', text: 'Ask the course' })),
        status('courses-ask-status'),
        el('div', { id: 'courses-answer', class: 'course-answer', 'aria-live': 'polite' })),
      el('h3', { text: 'Lectures' }),
      el('ol', { id: 'courses-lectures', class: 'course-lectures', 'aria-label': 'Lectures in order' }),
      el('p', { id: 'courses-lectures-empty', class: 'hint', text: 'No lectures yet.', hidden: true }),
      el('form', { id: 'courses-lecture-form', class: 'teach-only' },
        el('h3', { text: 'New lecture' }),
        ...field('courses-lecture-new-title', 'Lecture title', { name: 'title', required: true }),
        ...field('courses-lecture-new-date', 'Lecture date', { name: 'date', type: 'date' }),
        ...field('courses-lecture-new-description', 'Lecture description', { name: 'description', rows: '2' },
          'textarea'),
        el('button', { type: 'submit', text: 'Add the lecture' }),
        status('courses-lecture-add-status')),
      el('section', { class: 'teach-only', 'aria-labelledby': 'courses-materials-title' },
        el('h3', { id: 'courses-materials-title', text: 'Materials' }),
        el('ul', { id: 'courses-materials', class: 'files', 'aria-label': 'Course materials' }),
        el('p', { id: 'courses-materials-empty', class: 'hint', text: 'No materials yet.', hidden: true }),
        el('form', { id: 'courses-material-form' },
          ...field('courses-material-file', 'Material (PDF, Word, text, Markdown)', { type: 'file', name: 'file',
            required: true, accept: '.pdf,.docx,.txt,.md' }),
          el('label', { for: 'courses-material-lecture', text: 'Attached to' }),
          el('select', { id: 'courses-material-lecture', name: 'lecture' }),
          el('button', { type: 'submit', text: 'Upload the material' }),
          bar('courses-material-bar', 'Upload of the material')),
        status('courses-material-status'))),
    el('section', { id: 'courses-lecture', class: 'card lecture', 'aria-labelledby': 'courses-lecture-title',
      hidden: true },
    el('h2', { id: 'courses-lecture-title' }),
    el('p', { id: 'courses-lecture-about', class: 'hint' }),
    el('form', { id: 'courses-recording-form', class: 'teach-only' },
      ...field('courses-recording-file', 'Recording (audio or video)', { type: 'file', name: 'file', required: true,
        accept: 'audio/*,video/*,.wav,.mp3,.m4a,.ogg,.opus,.flac,.webm,.mp4,.mkv,.mov' }),
      el('button', { type: 'submit', text: 'Upload the recording' }),
      bar('courses-recording-bar', 'Upload of the recording'),
      status('courses-recording-status')),
    el('p', { id: 'courses-transcript-state', class: 'status', role: 'status', 'aria-live': 'polite' }),
    el('progress', { id: 'courses-transcript-bar', class: 'bar', max: '100', 'aria-label': 'Transcription progress',
      hidden: true }),
    el('div', { class: 'lecture-media' },
      el('div', { id: 'courses-player-box', class: 'lecture-player' }),
      el('section', { class: 'lecture-transcript', 'aria-labelledby': 'courses-transcript-title' },
        el('h3', { id: 'courses-transcript-title', text: 'Transcript' }),
        el('p', { id: 'courses-transcript-empty', class: 'hint', text: 'No transcript yet.' }),
        el('ol', { id: 'courses-transcript', class: 'transcript', 'aria-label': 'Transcript segments' }),
        el('p', {}, el('button', { type: 'button', id: 'courses-vtt', class: 'quiet', text: 'Download WebVTT',
          hidden: true })))),
    el('section', { id: 'courses-notes', 'aria-labelledby': 'courses-notes-title' },
      el('h3', { id: 'courses-notes-title', text: 'Lecture notes' }),
      el('p', { id: 'courses-notes-empty', class: 'hint' }),
      el('p', { id: 'courses-summary', class: 'lecture-summary' }),
      el('ul', { id: 'courses-key-points', 'aria-label': 'Key points' }),
      el('button', { type: 'button', id: 'courses-make-notes', class: 'quiet', text: 'Write the notes', hidden: true }),
      status('courses-notes-status')))));
  const panels = document.querySelectorAll('#app-view > .panel');
  panels[panels.length - 1].after(panel);
}

async function downloadVtt() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const res = await fetch(`/api/lectures/${enc(co.lecture.id)}/transcript?format=vtt`,
    { headers: token ? { Authorization: 'Bearer ' + token } : {} });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  const url = URL.createObjectURL(await res.blob());
  const a = el('a', { href: url, download: `${co.lecture.title || 'lecture'}.vtt` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// ---------------------------------------------------------------- wiring

function wire() {
  if (!document.querySelector('nav.tabs')) return;
  buildPanel();
  const tab = $('tab-courses');
  tab.addEventListener('click', () => opened());
  for (const t of document.querySelectorAll('nav.tabs [role=tab]')) {
    if (t !== tab) t.addEventListener('click', () => showTab(false));
  }
  const onSubmit = (id, fn, statusId) => $(id).addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    guarded($(statusId), () => fn(form)).finally(() => {
      for (const b of form.querySelectorAll('button')) b.disabled = false;
    });
  });
  onSubmit('courses-new', createCourse, 'courses-status');
  onSubmit('courses-enrol-form', enrol, 'courses-members-status');
  onSubmit('courses-share-form', share, 'courses-members-status');
  onSubmit('courses-ask-form', ask, 'courses-ask-status');
  onSubmit('courses-lecture-form', addLecture, 'courses-lecture-add-status');
  onSubmit('courses-material-form', uploadMaterial, 'courses-material-status');
  onSubmit('courses-recording-form', uploadRecording, 'courses-recording-status');
  $('courses-question').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      $('courses-ask-form').requestSubmit();
    }
  });
  $('courses-make-notes').addEventListener('click', () => guarded($('courses-notes-status'), makeNotes));
  $('courses-vtt').addEventListener('click', () => guarded($('courses-notes-status'), downloadVtt));
  $('courses-exams-refresh').addEventListener('click', () => guarded($('courses-status'), loadMyExams));
  // a deep link (#course=…[&lecture=…]) opens the tab once signed in (app.js shows #app-view then)
  const deepLink = () => {
    if (!$('app-view').hidden && new URLSearchParams(location.hash.slice(1)).get('course')
      && $('courses-panel').hidden) opened();
  };
  new MutationObserver(deepLink).observe($('app-view'), { attributes: true, attributeFilter: ['hidden'] });
  deepLink();
}

wire();
