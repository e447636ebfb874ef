// Lectern console, Exams tab (issue #25): the lecturer's exam builder (generation by the model, review of each draft
// beside the passage it cites, edits, approval, order, publication), rubric editor, grading review (the model's rating,
// justification and quoted span per criterion, overrides, release, agreement, item analysis, downloads); the student's
// exam (timer from the server's deadline, autosave, submission) and released results.
// Self-contained beside app.js: it manages its own tab and reads the session token app.js keeps in sessionStorage.
// Every string from the server is set with textContent (never innerHTML).

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'lectern.token';
const TYPES = ['single_choice', 'multiple_select', 'true_false', 'numeric', 'short_answer', 'essay'];
const TYPE_NAMES = {
  single_choice: 'Single choice', multiple_select: 'Multiple select', true_false: 'True/false', numeric: 'Numeric',
  short_answer: 'Short answer', essay: 'Essay',
};
const EXPORTS = [
  ['results.csv', 'Results (CSV)', 'results.csv'], ['export/pdf', 'Student copy (PDF)', 'exam.pdf'],
  ['export/answer-key.pdf', 'Answer key (PDF)', 'answer-key.pdf'], ['export/gift', 'Moodle GIFT', 'exam.gift.txt'],
  ['export/moodle.xml', 'Moodle XML', 'exam-moodle.xml'], ['export/qti.zip', 'QTI 2.1 package', 'exam-qti.zip'],
];

const ex = { course: null, exam: null, questions: [], rubrics: [], attempt: null, timer: null, clockOffset: 0 };

// ---------------------------------------------------------------- helpers

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function say(node, text, kind = '') {
  node.textContent = text;
  node.dataset.kind = kind;
}

async function request(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = token ? { Authorization: 'Bearer ' + token } : {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const fresh = res.headers.get('X-New-Token');
  if (fresh) sessionStorage.setItem(TOKEN_KEY, fresh);
  if (!res.ok) {
    let b = null;
    try {
      b = await res.json();
    } catch (e) {
      // not JSON
    }
    const err = new Error(b && b.message ? b.message : `${res.status} ${res.statusText}`);
    err.status = res.status;
    err.code = b && b.error;
    throw err;
  }
  return res;
}

export const api = async (method, path, body) => {
  const res = await request(method, path, body);
  return res.status === 204 ? null : res.json();
};

/** Runs an action, saying its failure in a status line rather than throwing. */
export async function guarded(status, fn) {
  try {
    return await fn();
  } catch (err) {
    say(status, err.message, 'error');
    return undefined;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Follows a job until it ends, telling its state in a status line. */
async function watchJob(id, status, what) {
  for (;;) {
    const job = await api('GET', `/api/jobs/${encodeURIComponent(id)}`);
    say(status, `${what}: ${job.status.toLowerCase()}`, job.status === 'FAILURE' ? 'error' : '');
    if (job.status === 'SUCCESS' || job.status === 'FAILURE' || job.status === 'CANCELLED') return job;
    await sleep(700);
  }
}

const fmtTime = (ms) => (ms ? new Date(ms).toLocaleString() : '—');
const pts = (n) => (n === null || n === undefined ? '—' : String(Math.round(n * 100) / 100));

function localInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/** The text with the first occurrence of span marked (a quote the grade rests on); text nodes only. */
function highlighted(text, span) {
  const p = el('p', { class: 'exam-answer' });
  const at = span ? text.indexOf(span) : -1;
  if (at < 0) {
    p.textContent = text;
    return p;
  }
  p.append(text.slice(0, at), el('mark', { text: span }), text.slice(at + span.length));
  return p;
}

function responseText(q, response) {
  if (!response) return '(no answer)';
  if (response.text !== undefined) return String(response.text);
  if (response.value !== undefined) return String(response.value);
  if (Array.isArray(response.selected)) {
    const opts = (q && q.content && q.content.options) || [];
    return response.selected.map((id) => {
      const o = opts.find((x) => x.id === id);
      return o ? o.text : id;
    }).join('; ') || '(no answer)';
  }
  return JSON.stringify(response);
}

// ---------------------------------------------------------------- tab

/** Shows or hides a tab's panel; showing one hides every other tab's panel (app.js's, projects', courses'). */
export function showPanel(tabId, on) {
  const tab = $(tabId);
  if (on) {
    for (const t of document.querySelectorAll('nav.tabs [role=tab]')) {
      if (t === tab) continue;
      t.setAttribute('aria-selected', 'false');
      t.tabIndex = -1;
      const panel = $(t.getAttribute('aria-controls'));
      if (panel) panel.hidden = true;
    }
  }
  tab.setAttribute('aria-selected', String(on));
  tab.tabIndex = on ? 0 : -1;
  $(tab.getAttribute('aria-controls')).hidden = !on;
}

const showTab = (on) => showPanel('tab-exams', on);

// ---------------------------------------------------------------- lecturer: course, generation, exams, rubrics

async function openCourse(courseId) {
  ex.course = courseId;
  const status = $('exams-status');
  const [exams, rubrics] = await Promise.all([
    api('GET', `/api/courses/${encodeURIComponent(courseId)}/exams`),
    api('GET', `/api/courses/${encodeURIComponent(courseId)}/rubrics`),
  ]);
  ex.rubrics = rubrics.rubrics;
  $('exams-course').hidden = false;
  $('exams-course-title').textContent = `Course ${courseId}`;
  const list = $('exams-list');
  list.replaceChildren();
  for (const e of exams.exams) {
    list.append(el('li', {}, el('button', { type: 'button', class: 'quiet', text: e.title || e.id,
      onclick: () => guarded(status, () => openExam(e.id)) }), ` · ${e.status}`));
  }
  if (!exams.exams.length) list.append(el('li', { class: 'hint', text: 'No exams yet.' }));
  renderRubricList();
  say(status, '');
}

async function generate(form) {
  const status = $('exams-gen-status');
  const counts = {};
  for (const t of TYPES) {
    const n = Number(form.querySelector(`[name=count-${t}]`).value || 0);
    if (n > 0) counts[t] = n;
  }
  const body = { counts, examTitle: form.querySelector('[name=title]').value.trim() || undefined,
    difficulty: form.querySelector('[name=difficulty]').value || undefined,
    bloom: form.querySelector('[name=bloom]').value || undefined,
    language: form.querySelector('[name=language]').value.trim() || undefined };
  say(status, 'Asking the model…');
  const { jobId } = await api('POST', `/api/courses/${encodeURIComponent(ex.course)}/exams/generate`, body);
  const job = await watchJob(jobId, status, 'Generation');
  if (job.status !== 'SUCCESS') {
    say(status, `Generation failed: ${(job.error && (job.error.message || job.error)) || job.status}`, 'error');
    return;
  }
  const r = job.result || {};
  const dropped = Array.isArray(r.dropped) ? r.dropped : [];
  say(status, `Generated ${r.kept} question(s)${dropped.length ? `; dropped ${dropped.length}` : ''}.`, 'ok');
  const why = $('exams-dropped');
  why.replaceChildren(...dropped.map((d) => el('li', { text: typeof d === 'string' ? d
    : `${(d.question && d.question.stem) || d.stem || ''} — ${(d.reasons || [d.reason]).filter(Boolean).join('; ')}` })));
  await openCourse(ex.course);
  if (r.examId) await openExam(r.examId);
}

async function openExam(id) {
  const data = await api('GET', `/api/exams/${encodeURIComponent(id)}`);
  ex.exam = data.exam;
  ex.questions = data.questions;
  renderExam();
  if (ex.exam.status === 'published') await loadGrading();
  else $('exams-grading').hidden = true;
}

function renderExam() {
  const e = ex.exam;
  const box = $('exams-exam');
  box.hidden = false;
  $('exams-exam-title').textContent = `${e.title || 'Untitled exam'} (${e.status}, version ${e.version})`;
  $('exams-exam-id').textContent = e.id;
  const list = $('exams-questions');
  list.replaceChildren();
  ex.questions.forEach((q, i) => list.append(questionCard(q, i)));
  const pub = $('exams-publish-form');
  pub.hidden = e.status !== 'draft';
  if (e.status === 'draft' && !pub.dataset.filled) {
    pub.dataset.filled = '1';
    const now = Date.now();
    pub.querySelector('[name=opens]').value = localInput(now);
    pub.querySelector('[name=closes]').value = localInput(now + 7 * 86_400_000);
  }
  $('exams-window').textContent = e.status === 'published'
    ? `Open ${fmtTime(e.opensAt)} – ${fmtTime(e.closesAt)}, ${Math.round(e.timeLimitMillis / 60_000)} min per attempt.`
      + (e.releasedAt ? ` Results released ${fmtTime(e.releasedAt)}.` : '')
    : 'Draft: approve every question, then publish.';
}

function questionCard(q, index) {
  const c = q.content;
  const status = el('p', { class: 'status', role: 'status' });
  const body = el('div', { class: 'exam-q-body' },
    el('p', { class: 'exam-q-head', text: `${index + 1}. ${TYPE_NAMES[c.type] || c.type} · ${pts(c.points)} pt · ${q.status} · v${q.version}` }),
    el('p', { class: 'exam-stem', text: c.stem }));
  if (c.options && c.options.length) {
    body.append(el('ul', { class: 'exam-options' }, ...c.options.map((o) =>
      el('li', { class: o.correct ? 'key' : '', text: `${o.correct ? '✓ ' : ''}${o.text}` }))));
  }
  if (c.type === 'numeric') body.append(el('p', { text: `Answer ${c.numericAnswer} ± ${c.tolerance || 0}` }));
  if (c.modelAnswer) body.append(el('p', { class: 'hint', text: `Model answer: ${c.modelAnswer}` }));
  if (c.rubricId) {
    const r = ex.rubrics.find((x) => x.id === c.rubricId);
    body.append(el('p', { class: 'hint', text: `Rubric: ${r ? r.title : c.rubricId}` }));
  }
  const cite = el('aside', { class: 'exam-cite', 'aria-label': 'Cited passage' },
    el('p', { class: 'hint', text: c.citation ? `Cites passage ${c.citation.passageId}` : 'No citation' }),
    c.citation ? el('blockquote', { text: c.citation.quote }) : null);
  const draft = ex.exam.status === 'draft';
  const actions = el('div', { class: 'exam-actions' });
  if (draft) {
    actions.append(
      el('button', { type: 'button', class: 'quiet', text: 'Up', disabled: index === 0,
        'aria-label': `Move question ${index + 1} up`, onclick: () => guarded(status, () => move(index, -1)) }),
      el('button', { type: 'button', class: 'quiet', text: 'Down', disabled: index === ex.questions.length - 1,
        'aria-label': `Move question ${index + 1} down`, onclick: () => guarded(status, () => move(index, 1)) }),
      el('button', { type: 'button', class: 'quiet', text: 'Edit', 'aria-label': `Edit question ${index + 1}`,
        onclick: () => card.replaceWith(editor(q, index)) }));
    if (q.status === 'draft') {
      actions.append(el('button', { type: 'button', text: 'Approve', 'aria-label': `Approve question ${index + 1}`,
        onclick: () => guarded(status, async () => {
          await api('POST', `/api/questions/${q.id}/approve`, { version: q.version });
          await openExam(ex.exam.id);
        }) }));
    }
    if (c.type === 'essay' || c.type === 'short_answer') {
      actions.append(el('button', { type: 'button', class: 'quiet', text: 'Draft a rubric',
        onclick: () => guarded(status, () => draftRubric(q, status)) }));
    }
  }
  const card = el('li', { class: 'card exam-q', 'data-question': q.id }, body, cite, actions, status);
  return card;
}

async function move(index, step) {
  const ids = ex.questions.map((q) => q.id);
  const [id] = ids.splice(index, 1);
  ids.splice(index + step, 0, id);
  await api('PATCH', `/api/exams/${ex.exam.id}`, { version: ex.exam.version, questionIds: ids });
  await openExam(ex.exam.id);
}

function editor(q, index) {
  const c = q.content;
  const status = el('p', { class: 'status', role: 'status' });
  const stem = el('textarea', { rows: 3, 'aria-label': 'Question text' });
  stem.value = c.stem;
  const points = el('input', { type: 'number', min: '0', step: '0.5', 'aria-label': 'Points' });
  points.value = c.points;
  const options = (c.options || []).map((o) => {
    const text = el('input', { 'aria-label': `Option ${o.id}` });
    text.value = o.text;
    const key = el('input', { type: 'checkbox', 'aria-label': `Option ${o.id} is a key` });
    key.checked = o.correct;
    return { o, text, key };
  });
  const rubric = el('select', { 'aria-label': 'Rubric' }, el('option', { value: '', text: '(no rubric)' }),
    ...ex.rubrics.map((r) => el('option', { value: r.id, text: r.title })));
  rubric.value = c.rubricId || '';
  const numeric = el('input', { type: 'number', step: 'any', 'aria-label': 'Numeric answer' });
  numeric.value = c.numericAnswer ?? '';
  const tolerance = el('input', { type: 'number', step: 'any', min: '0', 'aria-label': 'Tolerance' });
  tolerance.value = c.tolerance ?? '';
  const form = el('form', { class: 'card exam-edit' },
    el('p', { class: 'exam-q-head', text: `Editing question ${index + 1}` }), stem,
    el('label', {}, 'Points ', points),
    ...options.map(({ text, key }) => el('div', { class: 'exam-opt-edit' }, key, text)),
    c.type === 'numeric' ? el('label', {}, 'Answer ', numeric, ' ± ', tolerance) : null,
    c.type === 'essay' || c.type === 'short_answer' ? el('label', {}, 'Rubric ', rubric) : null,
    el('div', { class: 'exam-actions' }, el('button', { type: 'submit', text: 'Save' }),
      el('button', { type: 'button', class: 'quiet', text: 'Cancel', onclick: () => renderExam() })), status);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(status, async () => {
      const edited = { ...c, version: q.version, stem: stem.value, points: Number(points.value),
        options: options.map(({ o, text, key }) => ({ ...o, text: text.value, correct: key.checked })),
        rubricId: rubric.value || null };
      if (c.type === 'numeric') {
        edited.numericAnswer = Number(numeric.value);
        edited.tolerance = Number(tolerance.value || 0);
      }
      await api('PUT', `/api/questions/${q.id}`, edited);
      await openExam(ex.exam.id);
    });
  });
  return form;
}

async function publish(form) {
  const status = $('exams-publish-status');
  const opens = new Date(form.querySelector('[name=opens]').value).getTime();
  const closes = new Date(form.querySelector('[name=closes]').value).getTime();
  const minutes = Number(form.querySelector('[name=minutes]').value);
  await api('POST', `/api/exams/${ex.exam.id}/publish`, { version: ex.exam.version, opensAt: opens,
    closesAt: closes, timeLimitMillis: Math.round(minutes * 60_000) });
  say(status, 'Published. Students open it with the exam id above.', 'ok');
  await openExam(ex.exam.id);
  await openCourse(ex.course);
}

// ---------------------------------------------------------------- rubrics

function renderRubricList() {
  const list = $('exams-rubrics');
  list.replaceChildren(...ex.rubrics.map((r) => el('li', {}, el('button', { type: 'button', class: 'quiet',
    text: `${r.title} (v${r.version})`, onclick: () => rubricEditor(r) }))));
}

async function draftRubric(q, status) {
  const { jobId } = await api('POST', `/api/questions/${q.id}/rubric-draft`, {});
  const job = await watchJob(jobId, status, 'Rubric draft');
  if (job.status !== 'SUCCESS') return;
  await openCourse(ex.course);
  const id = job.result && (job.result.rubricId || job.result.id);
  const r = ex.rubrics.find((x) => x.id === id);
  if (r) rubricEditor(r);
  say(status, 'Rubric drafted: review it in the rubric editor.', 'ok');
}

function ratingRow(r = { description: '', points: 0 }) {
  const desc = el('input', { name: 'rating', 'aria-label': 'Rating', value: r.description });
  const points = el('input', { type: 'number', step: '0.5', min: '0', name: 'rating-points',
    'aria-label': 'Rating points', value: r.points });
  const row = el('li', { class: 'exam-rating' }, desc, points,
    el('button', { type: 'button', class: 'quiet', text: 'Remove', onclick: () => row.remove() }));
  return row;
}

function criterionBox(c = { description: '', longDescription: '', ratings: [] }) {
  const desc = el('input', { name: 'criterion', 'aria-label': 'Criterion', value: c.description });
  const long = el('input', { name: 'criterion-long', 'aria-label': 'Criterion details',
    value: c.longDescription || '' });
  const ratings = el('ul', { class: 'exam-ratings' }, ...(c.ratings.length ? c.ratings
    : [{ description: 'Full marks', points: 1 }, { description: 'No marks', points: 0 }]).map(ratingRow));
  const box = el('li', { class: 'card exam-criterion' }, desc, long, ratings,
    el('button', { type: 'button', class: 'quiet', text: 'Add a rating', onclick: () => ratings.append(ratingRow()) }),
    el('button', { type: 'button', class: 'quiet', text: 'Remove criterion', onclick: () => box.remove() }));
  return box;
}

function rubricEditor(rubric) {
  const form = $('exams-rubric-form');
  form.hidden = false;
  form.dataset.id = rubric ? rubric.id : '';
  form.dataset.version = rubric ? rubric.version : '';
  form.querySelector('[name=rubric-title]').value = rubric ? rubric.title : '';
  $('exams-criteria').replaceChildren(...(rubric ? rubric.criteria : [undefined]).map(criterionBox));
  say($('exams-rubric-status'), '');
}

async function saveRubric(form) {
  const criteria = [...$('exams-criteria').children].map((box) => ({
    description: box.querySelector('[name=criterion]').value.trim(),
    longDescription: box.querySelector('[name=criterion-long]').value.trim(),
    ratings: [...box.querySelectorAll('.exam-rating')].map((r) => ({
      description: r.querySelector('[name=rating]').value.trim(),
      points: Number(r.querySelector('[name=rating-points]').value),
    })),
  }));
  const title = form.querySelector('[name=rubric-title]').value.trim();
  const saved = form.dataset.id
    ? await api('PUT', `/api/rubrics/${form.dataset.id}`, { version: Number(form.dataset.version), title, criteria })
    : await api('POST', `/api/courses/${encodeURIComponent(ex.course)}/rubrics`, { title, criteria });
  form.dataset.id = saved.id;
  form.dataset.version = saved.version;
  say($('exams-rubric-status'), `Saved “${saved.title}”, version ${saved.version}.`, 'ok');
  await openCourse(ex.course);
  if (ex.exam) renderExam();
}

// ---------------------------------------------------------------- grading review

async function loadGrading() {
  const id = ex.exam.id;
  const [grades, agreement, items] = await Promise.all([api('GET', `/api/exams/${id}/grades`),
    api('GET', `/api/exams/${id}/agreement`), api('GET', `/api/exams/${id}/item-analysis`)]);
  $('exams-grading').hidden = false;
  const byId = new Map(ex.questions.map((q) => [q.id, q]));
  const list = $('exams-attempts');
  list.replaceChildren();
  for (const a of grades.attempts) {
    const answers = el('ol', { class: 'exam-answers' });
    for (const x of a.answers) answers.append(answerReview(a, x, byId.get(x.questionId)));
    list.append(el('li', { class: 'card exam-attempt', 'data-student': a.studentId },
      el('p', { class: 'exam-q-head', text: `Student ${a.studentId} · submitted ${fmtTime(a.submittedAt)} · total ${pts(a.total)}` }),
      answers));
  }
  if (!grades.attempts.length) list.append(el('li', { class: 'hint', text: 'No attempts yet.' }));
  const pct = (v) => (v === null || v === undefined ? '—' : (Math.round(v * 1000) / 1000).toString());
  $('exams-agreement').textContent = `Model against lecturer over ${agreement.n} graded answer(s), `
    + `${agreement.overridden} overridden: exact match ${pct(agreement.exactMatch)}, quadratic weighted kappa `
    + `${pct(agreement.quadraticWeightedKappa)}, ICC ${pct(agreement.icc)}.`;
  const rows = items.items.map((it) => el('tr', {}, el('td', { text: String(it.position) }),
    el('td', { text: TYPE_NAMES[it.type] || it.type }), el('td', { text: String(it.n) }),
    el('td', { text: `${pts(it.meanPoints)} / ${pts(it.maxPoints)}` }), el('td', { text: pct(it.difficulty) }),
    el('td', { text: pct(it.discrimination) })));
  $('exams-items').replaceChildren(...rows);
  $('exams-release').disabled = Boolean(ex.exam.releasedAt);
}

function answerReview(attempt, x, q) {
  const status = el('p', { class: 'status', role: 'status' });
  const text = responseText(q, x.response);
  const grade = x.lecturerGrade || x.modelGrade;
  const quotes = grade && Array.isArray(grade.criteria) ? grade.criteria.map((c) => c.quote).filter(Boolean) : [];
  const li = el('li', { class: 'exam-review', 'data-question': x.questionId },
    el('p', { class: 'exam-stem', text: `${x.position}. ${q ? q.content.stem : x.questionId}` }),
    highlighted(text, quotes[0]),
    el('p', { class: 'exam-points', text: `${pts(x.points)} / ${pts(x.maxPoints)} points · ${x.gradeStatus}`
      + (x.modelPoints !== null && x.modelPoints !== undefined ? ` · model ${pts(x.modelPoints)}` : '')
      + (x.lecturerPoints !== null && x.lecturerPoints !== undefined ? ` · lecturer ${pts(x.lecturerPoints)}` : '') }));
  if (x.modelGrade && Array.isArray(x.modelGrade.criteria)) {
    const rubric = q && q.content.rubricId ? ex.rubrics.find((r) => r.id === q.content.rubricId) : null;
    li.append(el('table', { class: 'exam-criteria' },
      el('thead', {}, el('tr', {}, ...['Criterion', 'Rating', 'Points', 'Justification', 'Quoted span']
        .map((h) => el('th', { text: h })))),
      el('tbody', {}, ...x.modelGrade.criteria.map((c) => {
        const crit = rubric ? rubric.criteria.find((k) => k.id === c.criterionId) : null;
        const rating = crit ? crit.ratings.find((r) => r.id === c.ratingId) : null;
        return el('tr', {}, el('td', { text: crit ? crit.description : c.criterionId }),
          el('td', { text: rating ? rating.description : c.ratingId }), el('td', { text: pts(c.points) }),
          el('td', { text: c.justification || '' }), el('td', {}, el('mark', { text: c.quote || '' })));
      }))));
  }
  if (x.lecturerGrade && x.lecturerGrade.comment) {
    li.append(el('p', { class: 'hint', text: `Your comment: ${x.lecturerGrade.comment}` }));
  }
  const points = el('input', { type: 'number', step: '0.5', min: '0', max: String(x.maxPoints), required: true,
    'aria-label': `Override points for ${attempt.studentId}, question ${x.position}` });
  points.value = x.points ?? '';
  const comment = el('input', { 'aria-label': `Comment for ${attempt.studentId}, question ${x.position}`,
    placeholder: 'Comment to the student' });
  const form = el('form', { class: 'exam-override' }, points, comment,
    el('button', { type: 'submit', text: 'Override' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(status, async () => {
      await api('PUT', `/api/attempts/${attempt.attemptId}/grades/${x.questionId}`,
        { points: Number(points.value), comment: comment.value.trim() || undefined });
      await loadGrading();
    });
  });
  li.append(form, status);
  return li;
}

async function download(path, name, status) {
  const res = await request('GET', `/api/exams/${ex.exam.id}/${path}`);
  const url = URL.createObjectURL(await res.blob());
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  say(status, `Downloaded ${name}.`, 'ok');
}

// ---------------------------------------------------------------- student: taking an exam, results

async function takeExam(examId) {
  const status = $('exams-take-status');
  const received = Date.now();
  const view = await api('POST', `/api/exams/${encodeURIComponent(examId)}/attempts`);
  ex.attempt = view;
  ex.clockOffset = view.serverNow - received; // server clock minus ours
  const box = $('exams-attempt');
  box.hidden = false;
  $('exams-attempt-title').textContent = view.title || 'Exam';
  const list = $('exams-attempt-questions');
  list.replaceChildren(...view.questions.map((q) => attemptQuestion(q, view.responses[q.questionId])));
  $('exams-submit').hidden = Boolean(view.submittedAt);
  $('exams-results-button').hidden = !view.submittedAt;
  say(status, view.submittedAt ? 'Submitted. Results appear here once released.' : 'Answers save as you go.');
  tick();
}

function tick() {
  clearTimeout(ex.timer);
  const v = ex.attempt;
  const clock = $('exams-timer');
  if (!v || v.submittedAt) {
    clock.textContent = v && v.submittedAt ? `Submitted ${fmtTime(v.submittedAt)}` : '';
    return;
  }
  const left = v.deadlineAt - (Date.now() + ex.clockOffset);
  if (left <= 0) {
    clock.textContent = 'Time is up: answers are no longer accepted.';
    clock.dataset.kind = 'error';
    for (const i of $('exams-attempt-questions').querySelectorAll('input, textarea')) i.disabled = true;
    return;
  }
  const s = Math.floor(left / 1000);
  clock.textContent = `Time left ${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  clock.dataset.kind = s < 300 ? 'warn' : '';
  ex.timer = setTimeout(tick, 1000 - (left % 1000) + 5);
}

function attemptQuestion(q, saved) {
  const state = el('span', { class: 'hint exam-saved', role: 'status' });
  const name = `answer-${q.questionId}`;
  let read;
  const field = el('fieldset', { class: 'exam-take-field' },
    el('legend', { text: `${q.number}. ${q.stem} (${pts(q.points)} pt)` }));
  if (q.type === 'single_choice' || q.type === 'true_false' || q.type === 'multiple_select') {
    const kind = q.type === 'multiple_select' ? 'checkbox' : 'radio';
    const picked = new Set((saved && saved.selected) || []);
    for (const o of q.options) {
      const input = el('input', { type: kind, name, value: o.id, checked: picked.has(o.id) });
      field.append(el('label', { class: 'exam-choice' }, input, ' ', o.text));
    }
    read = () => ({ selected: [...field.querySelectorAll('input:checked')].map((i) => i.value) });
  } else if (q.type === 'numeric') {
    const input = el('input', { type: 'number', step: 'any', name, 'aria-label': `Answer to question ${q.number}` });
    if (saved && saved.value !== undefined) input.value = saved.value;
    field.append(input);
    read = () => ({ value: input.value === '' ? null : Number(input.value) });
  } else {
    const input = el('textarea', { rows: q.type === 'essay' ? 8 : 2, name,
      'aria-label': `Answer to question ${q.number}` });
    if (saved && saved.text !== undefined) input.value = saved.text;
    field.append(input);
    read = () => ({ text: input.value });
  }
  let pending = null;
  const save = async () => {
    pending = null;
    say(state, 'Saving…');
    try {
      await api('PUT', `/api/attempts/${ex.attempt.attemptId}/answers/${q.questionId}`, { response: read() });
      say(state, 'Saved', 'ok');
    } catch (err) {
      say(state, err.code === 'attempt_closed' ? 'Not saved: the attempt is closed.' : `Not saved: ${err.message}`,
        'error');
    }
  };
  const schedule = (delay) => {
    clearTimeout(pending);
    pending = setTimeout(save, delay);
    field.dataset.pending = '1';
  };
  field.addEventListener('change', () => schedule(0));
  field.addEventListener('input', (e) => {
    if (e.target.tagName === 'TEXTAREA' || e.target.type === 'number') schedule(800);
  });
  field.flush = async () => {
    if (pending !== null) {
      clearTimeout(pending);
      await save();
    }
  };
  field.append(state);
  return el('li', { class: 'card', 'data-question': q.questionId }, field);
}

async function submitAttempt() {
  const status = $('exams-take-status');
  for (const f of $('exams-attempt-questions').querySelectorAll('fieldset')) await f.flush();
  const done = await api('POST', `/api/attempts/${ex.attempt.attemptId}/submit`);
  ex.attempt.submittedAt = done.submittedAt || Date.now();
  for (const i of $('exams-attempt-questions').querySelectorAll('input, textarea')) i.disabled = true;
  $('exams-submit').hidden = true;
  $('exams-results-button').hidden = false;
  say(status, 'Submitted. Results appear here once released.', 'ok');
  tick();
}

async function showResults() {
  const status = $('exams-take-status');
  try {
    const r = await api('GET', `/api/attempts/${ex.attempt.attemptId}/results`);
    const box = $('exams-results');
    box.hidden = false;
    $('exams-results-total').textContent = `${r.title}: ${pts(r.total)} of ${pts(r.maxPoints)} points`;
    $('exams-results-answers').replaceChildren(...r.answers.map((a) => {
      const shown = ex.attempt.questions.find((q) => q.questionId === a.questionId);
      const item = el('li', { class: 'card' },
        el('p', { class: 'exam-stem', text: `${a.position}. ${a.stem}` }),
        el('p', { class: 'exam-answer', text: `Your answer: ${responseText(shown ? { content: { options: shown.options } } : null, a.response)}` }),
        el('p', { class: 'exam-points', text: `${pts(a.points)} / ${pts(a.maxPoints)} points` }));
      if (a.grade && a.grade.comment) item.append(el('p', { class: 'exam-comment', text: `Comment: ${a.grade.comment}` }));
      if (a.grade && Array.isArray(a.grade.criteria)) {
        item.append(el('ul', {}, ...a.grade.criteria.map((c) => el('li', { text: `${pts(c.points)} pt: ${c.justification || ''}` }))));
      }
      if (a.explanation) item.append(el('p', { class: 'hint', text: a.explanation }));
      return item;
    }));
    say(status, '');
  } catch (err) {
    say(status, err.status === 404 ? 'Results are not released yet.' : err.message, err.status === 404 ? '' : 'error');
  }
}

// ---------------------------------------------------------------- the tab and its panel, built here

function buildPanel() {
  const nav = document.querySelector('nav.tabs');
  nav.append(el('button', { type: 'button', role: 'tab', id: 'tab-exams', 'aria-controls': 'exams-panel',
    'aria-selected': 'false', tabindex: '-1', text: 'Exams' }));
  const status = (id) => el('p', { id, class: 'status', role: 'status', 'aria-live': 'polite' });
  const input = (attrs) => el('input', { autocomplete: 'off', ...attrs });
  const select = (name, label, values) => el('label', {}, `${label} `, el('select', { name },
    el('option', { value: '', text: '(any)' }), ...values.map((v) => el('option', { value: v, text: v }))));
  const panel = el('section', { id: 'exams-panel', class: 'panel exams', role: 'tabpanel',
    'aria-labelledby': 'tab-exams', hidden: true },
    el('div', { class: 'exams-start' },
      el('form', { id: 'exams-course-form', class: 'card' }, el('h2', { text: 'Teach' }),
        el('label', { for: 'exams-course-id', text: 'Course id' }),
        input({ id: 'exams-course-id', name: 'course', required: true }),
        el('button', { type: 'submit', text: 'Open the course' }), status('exams-status')),
      el('form', { id: 'exams-take-form', class: 'card' }, el('h2', { text: 'Take an exam' }),
        el('label', { for: 'exams-exam-input', text: 'Exam id (from your lecturer)' }),
        input({ id: 'exams-exam-input', name: 'exam', required: true }),
        el('button', { type: 'submit', text: 'Start or resume' }), status('exams-take-status'))),
    el('section', { id: 'exams-course', hidden: true },
      el('h2', { id: 'exams-course-title' }),
      el('div', { class: 'exams-columns' },
        el('form', { id: 'exams-generate-form', class: 'card' }, el('h3', { text: 'Generate an exam' }),
          el('label', {}, 'Title ', input({ name: 'title' })), el('div', { id: 'exams-counts', class: 'exams-counts' }),
          select('difficulty', 'Difficulty', ['easy', 'medium', 'hard']),
          select('bloom', 'Bloom level', ['remember', 'understand', 'apply', 'analyze', 'evaluate', 'create']),
          el('label', {}, 'Language ', input({ name: 'language', placeholder: 'en', size: '4' })),
          el('button', { type: 'submit', text: 'Generate' }), status('exams-gen-status'),
          el('ul', { id: 'exams-dropped', class: 'hint', 'aria-label': 'Dropped questions' })),
        el('div', { class: 'card' }, el('h3', { text: 'Exams' }), el('ul', { id: 'exams-list' }),
          el('h3', { text: 'Rubrics' }), el('ul', { id: 'exams-rubrics' }),
          el('button', { type: 'button', id: 'exams-new-rubric', class: 'quiet', text: 'New rubric' }))),
      el('form', { id: 'exams-rubric-form', class: 'card', hidden: true }, el('h3', { text: 'Rubric' }),
        el('label', {}, 'Title ', input({ name: 'rubric-title', required: true })),
        el('ol', { id: 'exams-criteria', class: 'exam-criteria-list' }),
        el('button', { type: 'button', id: 'exams-add-criterion', class: 'quiet', text: 'Add a criterion' }),
        el('button', { type: 'submit', text: 'Save the rubric' }), status('exams-rubric-status')),
      el('section', { id: 'exams-exam', hidden: true },
        el('h3', { id: 'exams-exam-title' }), el('p', { class: 'hint' }, 'Exam id ', el('code', { id: 'exams-exam-id' })),
        el('p', { id: 'exams-window', class: 'hint' }),
        el('ol', { id: 'exams-questions', class: 'exam-questions' }),
        el('form', { id: 'exams-publish-form', class: 'card exams-publish', hidden: true },
          el('h3', { text: 'Publish' }),
          el('label', {}, 'Opens ', input({ type: 'datetime-local', name: 'opens', required: true })),
          el('label', {}, 'Closes ', input({ type: 'datetime-local', name: 'closes', required: true })),
          el('label', {}, 'Time limit (minutes) ', input({ type: 'number', name: 'minutes', min: '1', value: '60',
            required: true })),
          el('button', { type: 'submit', text: 'Publish' }), status('exams-publish-status')),
        el('section', { id: 'exams-grading', hidden: true }, el('h3', { text: 'Grading review' }),
          el('div', { class: 'exam-actions' },
            el('button', { type: 'button', id: 'exams-refresh-grades', class: 'quiet', text: 'Refresh' }),
            el('button', { type: 'button', id: 'exams-release', text: 'Release results' })),
          status('exams-release-status'),
          el('p', { id: 'exams-agreement' }),
          el('table', { class: 'exam-items' }, el('caption', { text: 'Item analysis' }),
            el('thead', {}, el('tr', {}, ...['#', 'Type', 'Answers', 'Mean', 'Difficulty', 'Discrimination']
              .map((h) => el('th', { text: h })))), el('tbody', { id: 'exams-items' })),
          el('div', { id: 'exams-downloads', class: 'exam-actions', 'aria-label': 'Downloads' }),
          el('ol', { id: 'exams-attempts', class: 'exam-attempts' })))),
    el('section', { id: 'exams-attempt', hidden: true },
      el('h2', { id: 'exams-attempt-title' }), el('p', { id: 'exams-timer', class: 'exam-timer', role: 'timer' }),
      el('ol', { id: 'exams-attempt-questions', class: 'exam-questions' }),
      el('button', { type: 'button', id: 'exams-submit', text: 'Submit (final)' }),
      el('button', { type: 'button', id: 'exams-results-button', class: 'quiet', text: 'See my results', hidden: true }),
      el('section', { id: 'exams-results', hidden: true }, el('h3', { id: 'exams-results-total' }),
        el('ol', { id: 'exams-results-answers' }))));
  const panels = document.querySelectorAll('#app-view > .panel');
  panels[panels.length - 1].after(panel);
}

// ---------------------------------------------------------------- wiring

function wire() {
  if (!document.querySelector('nav.tabs')) return;
  buildPanel();
  const tab = $('tab-exams');
  tab.addEventListener('click', () => showTab(true));
  for (const t of document.querySelectorAll('nav.tabs [role=tab]')) {
    if (t !== tab) t.addEventListener('click', () => showTab(false));
  }
  const status = $('exams-status');
  const typeInputs = $('exams-counts');
  for (const t of TYPES) {
    typeInputs.append(el('label', {}, `${TYPE_NAMES[t]} `,
      el('input', { type: 'number', min: '0', max: '50', value: '0', name: `count-${t}` })));
  }
  const onSubmit = (id, fn, statusId) => $(id).addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    for (const b of form.querySelectorAll('button')) b.disabled = true;
    guarded($(statusId), () => fn(form)).finally(() => {
      for (const b of form.querySelectorAll('button')) b.disabled = false;
    });
  });
  onSubmit('exams-course-form', (f) => openCourse(f.querySelector('[name=course]').value.trim()), 'exams-status');
  onSubmit('exams-take-form', (f) => takeExam(f.querySelector('[name=exam]').value.trim()), 'exams-take-status');
  onSubmit('exams-generate-form', generate, 'exams-gen-status');
  onSubmit('exams-publish-form', publish, 'exams-publish-status');
  onSubmit('exams-rubric-form', saveRubric, 'exams-rubric-status');
  $('exams-new-rubric').addEventListener('click', () => rubricEditor(null));
  $('exams-add-criterion').addEventListener('click', () => $('exams-criteria').append(criterionBox()));
  $('exams-release').addEventListener('click', () => guarded($('exams-release-status'), async () => {
    await api('POST', `/api/exams/${ex.exam.id}/release`);
    say($('exams-release-status'), 'Results released to the students.', 'ok');
    await openExam(ex.exam.id);
  }));
  $('exams-refresh-grades').addEventListener('click', () => guarded(status, loadGrading));
  $('exams-submit').addEventListener('click', () => guarded($('exams-take-status'), submitAttempt));
  $('exams-results-button').addEventListener('click', showResults);
  const downloads = $('exams-downloads');
  for (const [path, label, name] of EXPORTS) {
    downloads.append(el('button', { type: 'button', class: 'quiet', text: label,
      onclick: () => guarded($('exams-release-status'), () => download(path, name, $('exams-release-status'))) }));
  }
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('exam');
  if (fromLink) $('exams-take-form').querySelector('[name=exam]').value = fromLink;
}

wire();
