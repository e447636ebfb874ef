// Lectern web console, Projects and lesson pages (issues #22/#23): a user's projects and their lesson videos (video
// sessions), generation started from the page, live progress from the project's event stream, the lesson page with its
// scenes, per-scene previews, the finished video with captions, and one-scene edits.
//
// REST shapes (lessons.web.LessonsApi, jobs.web.JobsApi): GET/POST /api/projects, GET/POST
// /api/projects/{id}/sessions, GET /api/sessions/{id} (with scenes in order), POST /jobs/generate and /jobs/edit →
// {jobId}, GET /api/jobs/{id}, POST /api/jobs/{id}/cancel and /retry. Live changes: GET /api/projects/{id}/events
// ({type: subscribed|overflow|project.updated|project.deleted|session.created|session.updated|scene.created|
// scene.updated|job, projectId, data}). Media fields are read under their documented names (video_url, captions_url,
// poster_url) or their camelCase twins; a field that is absent or empty hides what it would show.
//
// Every text from the server or the user goes in with textContent or an attribute: never innerHTML.

const JOB_WORDS = {
  PENDING: 'waiting for a worker',
  STARTED: 'running',
  RETRY: 'failed, will retry',
  SUCCESS: 'done',
  FAILURE: 'failed',
  REVOKED: 'cancelled',
};
const LIVE_JOB = new Set(['PENDING', 'STARTED', 'RETRY']);
const FINAL_JOB = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);
const SESSION_WORDS = {
  DRAFT: 'not started',
  QUEUED: 'queued',
  GENERATING: 'generating',
  PLANNED: 'scenes laid out',
  RENDERING: 'rendering',
  ASSEMBLING: 'assembling',
  READY: 'ready',
  FAILED: 'failed',
};
/** Scene states that mean its media is made (the bar is full) or that it failed. */
const SCENE_DONE = new Set(['RENDERED', 'READY', 'DONE']);
const SCENE_WORDS = { PLANNED: 'planned', EDITING: 'being edited', RENDERED: 'rendered', FAILED: 'failed' };
/** Session states in which the scenes are being rendered or joined: the bar follows the scenes then. */
const RENDER_STAGES = new Set(['RENDERING', 'ASSEMBLING']);
const SESSION_DETAILS = 12; // sessions of a project whose scenes and job are fetched up front (newest first)
const RECONNECT_MAX_MS = 15_000;

/**
 * @param kit the console's helpers: $, api(method, path, body, headers), el, say, busy, readEvents, authHeaders,
 *            keepFreshToken, errorOf, selectTab
 */
export function createProjects(kit) {
  const { $, api, el, say, busy } = kit;

  const state = {
    projects: new Map(), // id → project
    current: null, // the project shown (id)
    sessions: new Map(), // id → session (without scenes)
    scenes: new Map(), // session id → Map(scene id → scene)
    jobs: new Map(), // job id → job (the /api/jobs/{id} shape or the project stream's job event)
    sceneJobs: new Map(), // scene id → the edit job this page queued for it
    lesson: null, // the session id whose lesson page is open
    versions: null, // {sessionId, of: the session version they were read at, list}
    versionsLoading: null, // "<session id>:<version>" being read
    lastFailure: null, // the error of the job that failed in the event just before
    live: null, // {projectId, abort}
  };

  // ---------------------------------------------------------------- small helpers

  /** A field under its documented snake_case name or its camelCase twin; "" and null count as absent. */
  function field(obj, name) {
    if (!obj) return null;
    const camel = name.replace(/_([a-z])/g, (m, c) => c.toUpperCase());
    const v = obj[name] ?? obj[camel];
    return v === '' || v === undefined ? null : v;
  }

  /** A media URL from the server, only if it is http(s) (relative URLs resolve against this page). */
  function mediaUrl(obj, name) {
    const v = field(obj, name);
    if (typeof v !== 'string') return null;
    try {
      const u = new URL(v, location.href);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function words(map, status) {
    return map[status] || String(status || '').toLowerCase().replace(/_/g, ' ');
  }

  function percent(v) {
    const n = Number(v);
    return Number.isFinite(n) ? Math.max(0, Math.min(100, n)) : null;
  }

  /** Sets a <progress>: a number is a value, null makes it indeterminate (still running, amount unknown). */
  function setBar(bar, value) {
    if (value === null) bar.removeAttribute('value');
    else bar.value = value;
    bar.dataset.value = value === null ? '' : String(Math.round(value));
  }

  /** Sets a media element's source only when it changed (a re-render must not restart what is playing). */
  function setSource(media, url) {
    if ((media.dataset.src || '') === (url || '')) return false;
    media.dataset.src = url || '';
    if (url) media.src = url;
    else media.removeAttribute('src');
    media.load();
    return true;
  }

  function sessionLabel(s) {
    const p = (s.prompt || '').trim();
    return p ? (p.length > 80 ? p.slice(0, 79) + '…' : p) : 'Untitled lesson';
  }

  function sceneMap(sessionId) {
    let m = state.scenes.get(sessionId);
    if (!m) {
      m = new Map();
      state.scenes.set(sessionId, m);
    }
    return m;
  }

  function sortedScenes(sessionId) {
    return [...sceneMap(sessionId).values()].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  }

  function merge(map, id, data) {
    const merged = { ...(map.get(id) || {}), ...data };
    map.set(id, merged);
    return merged;
  }

  function jobOf(session) {
    const id = session && field(session, 'job_id');
    return id ? state.jobs.get(id) || null : null;
  }

  // ---------------------------------------------------------------- the project list

  async function loadProjects() {
    const page = await api('GET', '/api/projects?page_size=100');
    state.projects = new Map((page.projects || []).map((p) => [p.id, p]));
    renderProjectList(page.total);
  }

  function renderProjectList(total) {
    const items = [...state.projects.values()].map((p) => {
      const link = el('a', { href: `#project=${encodeURIComponent(p.id)}`, text: p.title || 'Untitled project' });
      if (p.id === state.current) link.setAttribute('aria-current', 'page');
      return el('li', { 'data-id': p.id }, link);
    });
    if (total > state.projects.size) {
      items.push(el('li', { class: 'hint', text: `and ${total - state.projects.size} older projects` }));
    }
    $('project-list').replaceChildren(...items);
    $('projects-empty').hidden = state.projects.size > 0;
  }

  $('project-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const title = $('project-title').value.trim();
    if (!title) return;
    busy(form, true);
    say($('projects-status'), 'Creating the project…');
    try {
      const p = await api('POST', '/api/projects', { title, description: $('project-description').value.trim() });
      form.reset();
      state.projects = new Map([[p.id, p], ...state.projects]);
      say($('projects-status'), `Project “${p.title}” is created.`);
      location.hash = `#project=${encodeURIComponent(p.id)}`;
    } catch (err) {
      say($('projects-status'), `The project was not created: ${err.message}`, 'error');
    } finally {
      busy(form, false);
    }
  });

  // ---------------------------------------------------------------- one project

  async function showProject(id) {
    kit.selectTab('tab-projects');
    $('lesson-view').hidden = true;
    $('projects-home').hidden = false;
    state.lesson = null;
    let project = state.projects.get(id);
    try {
      project = await api('GET', `/api/projects/${encodeURIComponent(id)}`);
      state.projects.set(project.id, project);
    } catch (err) {
      $('project-view').hidden = true;
      $('project-none').hidden = false;
      say($('projects-status'), err.status === 404 ? 'That project does not exist (or is not yours).'
        : `The project could not be loaded: ${err.message}`, 'error');
      return;
    }
    if (state.current !== id) {
      $('session-list').replaceChildren();
      say($('generate-status'), '');
    }
    state.current = id;
    renderProjectList(state.projects.size);
    renderProjectHead(project);
    $('project-none').hidden = true;
    $('project-view').hidden = false;
    follow(id);
    await loadSessions(id);
  }

  function renderProjectHead(p) {
    $('project-heading').textContent = p.title || 'Untitled project';
    $('project-about').textContent = p.description || '';
    $('project-about').hidden = !p.description;
  }

  /** The project's sessions (newest first), each one's job, and the scenes of the newest few. */
  async function loadSessions(projectId) {
    let listing;
    try {
      listing = await api('GET', `/api/projects/${encodeURIComponent(projectId)}/sessions`);
    } catch (err) {
      say($('generate-status'), `The lesson videos could not be loaded: ${err.message}`, 'error');
      return;
    }
    if (state.current !== projectId) return;
    const sessions = listing.sessions || [];
    for (const s of sessions) merge(state.sessions, s.id, s);
    renderSessions(projectId);
    await Promise.allSettled(sessions.slice(0, SESSION_DETAILS).map((s) => loadDetails(s.id)));
  }

  /** One session's scenes and its job, for the bars. */
  async function loadDetails(sessionId) {
    const full = await api('GET', `/api/sessions/${encodeURIComponent(sessionId)}`);
    acceptSession(full);
    await refreshJob(field(state.sessions.get(sessionId), 'job_id'));
    updateSession(sessionId);
  }

  /**
   * Reads a job unless what is known of it is final (events missed while the stream was down are caught up so). A
   * read that answers after a newer event never takes a finished job back to running.
   */
  async function refreshJob(jobId) {
    if (!jobId || FINAL_JOB.has((state.jobs.get(jobId) || {}).status)) return;
    try {
      const view = await api('GET', `/api/jobs/${encodeURIComponent(jobId)}`);
      const known = state.jobs.get(jobId);
      if (known && FINAL_JOB.has(known.status) && !FINAL_JOB.has(view.status)) return;
      state.jobs.set(jobId, { ...known, ...view });
    } catch (err) {
      // a job that is not ours to read (an admin's view of a shared project): the session's status still shows
    }
  }

  /** A GET /api/sessions/{id} answer: the session, and its scenes replacing what was known of them. */
  function acceptSession(full) {
    const { scenes, ...session } = full;
    merge(state.sessions, session.id, session);
    if (Array.isArray(scenes)) {
      state.scenes.set(session.id, new Map(scenes.map((sc) => [sc.id, sc])));
    }
  }

  function sessionsOf(projectId) {
    return [...state.sessions.values()].filter((s) => field(s, 'project_id') === projectId)
      .sort((a, b) => (field(b, 'created_at') || 0) - (field(a, 'created_at') || 0));
  }

  function renderSessions(projectId) {
    const list = $('session-list');
    const items = sessionsOf(projectId).map((s) => sessionItem(s.id));
    list.replaceChildren(...items);
    for (const s of sessionsOf(projectId)) updateSession(s.id);
    $('sessions-empty').hidden = items.length > 0;
  }

  /** The session's list item, made once and then only updated (its buttons keep their listeners). */
  function sessionItem(id) {
    const existing = $('session-list').querySelector(`li[data-id="${CSS.escape(id)}"]`);
    if (existing) return existing;
    const s = state.sessions.get(id);
    const open = el('a', { class: 'open', href: `#lesson=${encodeURIComponent(id)}` });
    const bar = el('progress', { class: 'bar', max: '100', 'aria-label': `Progress of ${sessionLabel(s)}` });
    const cancel = el('button', { type: 'button', class: 'quiet cancel', text: 'Cancel', hidden: '' });
    const retry = el('button', { type: 'button', class: 'quiet retry', text: 'Retry', hidden: '' });
    const start = el('button', { type: 'button', class: 'quiet start', text: 'Start generating', hidden: '' });
    const again = el('button', { type: 'button', class: 'quiet again', text: 'Generate again', hidden: '' });
    cancel.addEventListener('click', () => jobAction(id, 'cancel', cancel));
    retry.addEventListener('click', () => jobAction(id, 'retry', retry));
    start.addEventListener('click', () => generate(state.sessions.get(id), start));
    again.addEventListener('click', () => generate(state.sessions.get(id), again, true));
    return el('li', { class: 'session', 'data-id': id },
      el('div', { class: 'session-head' }, open, el('span', { class: 'badge' })),
      el('div', { class: 'bar-line' }, bar, el('span', { class: 'pct' })),
      el('p', { class: 'job-state' }),
      el('p', { class: 'error', hidden: '' }),
      el('ol', { class: 'scene-bars', 'aria-label': 'Scene progress' }),
      el('div', { class: 'actions' }, start, again, cancel, retry));
  }

  /**
   * What a session's bar, words and buttons say now: its status, its job's, and its scenes'. The generation job plans
   * and lays out the scenes; where the server then renders them one job each and joins them (RENDERING, ASSEMBLING),
   * the bar follows the rendered scenes. Within one run it never goes back (events of different jobs may interleave).
   */
  function sessionView(s) {
    const job = jobOf(s);
    const status = s.status || 'DRAFT';
    const scenes = sortedScenes(s.id);
    let value = null;
    if (status === 'READY') value = 100;
    else if (RENDER_STAGES.has(status) && scenes.length) {
      const done = scenes.filter((sc) => SCENE_DONE.has(sc.status)).length;
      value = 10 + (85 * done) / scenes.length + (status === 'ASSEMBLING' ? 5 : 0);
    } else if (job && job.status === 'SUCCESS') value = RENDER_STAGES.has(status) ? 10 : 100;
    else if (job && percent(job.progress) !== null) value = RENDER_STAGES.has(status) ? 10 : percent(job.progress);
    else if (status === 'DRAFT' || status === 'QUEUED' || (job && job.status === 'PENDING')) value = 0;
    if (job && job.status === 'PENDING') s.shown = null; // queued (again): a new run starts from nothing
    else if (value !== null && s.shown != null && s.shown.job === (job && job.id) && value < s.shown.value) {
      value = s.shown.value;
    }
    if (value !== null) s.shown = { job: job && job.id, value };
    let error = null;
    if (job && (job.status === 'FAILURE' || job.status === 'RETRY') && job.error) error = job.error;
    else if (status === 'FAILED' && field(s, 'error')) error = field(s, 'error');
    return { job, status, value, error };
  }

  function updateSession(id) {
    const s = state.sessions.get(id);
    if (!s) return;
    if (state.lesson === id) updateLesson();
    const item = $('session-list').querySelector(`li[data-id="${CSS.escape(id)}"]`);
    if (!item) return;
    const { job, status, value, error } = sessionView(s);
    item.dataset.status = status;
    item.dataset.job = job ? job.status : '';
    item.querySelector('.open').textContent = sessionLabel(s);
    item.querySelector('.badge').textContent = words(SESSION_WORDS, status);
    setBar(item.querySelector('.bar'), value);
    item.querySelector('.pct').textContent = value === null ? '' : `${Math.round(value)}%`;
    const scenes = sortedScenes(id);
    item.querySelector('.job-state').textContent = jobLine(job, s, scenes);
    const err = item.querySelector('.error');
    err.hidden = !error;
    err.textContent = error ? `Error: ${error}` : '';
    item.querySelector('.cancel').hidden = !(job && LIVE_JOB.has(job.status));
    item.querySelector('.retry').hidden = !(job && (job.status === 'FAILURE' || job.status === 'REVOKED'));
    item.querySelector('.start').hidden = !(status === 'DRAFT' && !job);
    // a lesson whose generation succeeded but whose rendering failed is made again from the start
    item.querySelector('.again').hidden = !(status === 'FAILED' && job && job.status === 'SUCCESS');
    item.querySelector('.scene-bars').replaceChildren(...scenes.map((sc) => {
      const said = `${sc.title || 'Scene'}: ${sceneWords(sc)}`;
      const bar = el('progress', { max: '100', 'aria-label': said });
      setBar(bar, sceneValue(sc));
      return el('li', { 'data-status': sc.status || '', title: said }, bar);
    }));
  }

  /** The session's state in words: its job's while that has not succeeded, then the lesson's own stage. */
  function jobLine(job, s, scenes) {
    const status = s.status || 'DRAFT';
    if (!job && status === 'DRAFT') return 'Not started yet.';
    const parts = [];
    if (job && job.status !== 'SUCCESS') {
      parts.push(`Job ${words(JOB_WORDS, job.status)}`);
      if (job.progressMessage && !FINAL_JOB.has(job.status)) parts.push(job.progressMessage);
      if (job.status === 'RETRY' && job.attempts) parts.push(`attempt ${job.attempts}`);
    } else {
      const stage = words(SESSION_WORDS, status);
      parts.push(stage.charAt(0).toUpperCase() + stage.slice(1));
      if (s.stage && !FINAL_JOB.has(job && job.status) && status !== 'READY') parts.push(String(s.stage));
    }
    if (scenes.length) {
      const done = scenes.filter((sc) => SCENE_DONE.has(sc.status)).length;
      parts.push(`${scenes.length} scene${scenes.length === 1 ? '' : 's'}${done ? `, ${done} rendered` : ''}`);
    }
    return parts.join(' · ') + '.';
  }

  /** A scene's bar: full when its media is made, its edit job's progress while one runs, else by its status. */
  function sceneValue(sc) {
    if (SCENE_DONE.has(sc.status)) return 100;
    const job = state.sceneJobs.has(sc.id) ? state.jobs.get(state.sceneJobs.get(sc.id)) : null;
    if (job && LIVE_JOB.has(job.status) && percent(job.progress) !== null) return percent(job.progress);
    const own = percent(field(sc, 'progress'));
    if (own !== null) return own;
    if ((sc.status === 'PLANNED' && !sc.stage) || sc.status === 'FAILED') return 0;
    return null; // in progress, amount unknown
  }

  function sceneWords(sc) {
    return sc.stage && !SCENE_DONE.has(sc.status) && sc.status !== 'FAILED' ? String(sc.stage) : words(SCENE_WORDS, sc.status);
  }

  async function jobAction(sessionId, action, button) {
    const job = jobOf(state.sessions.get(sessionId));
    if (!job) return;
    button.disabled = true;
    try {
      const view = await api('POST', `/api/jobs/${encodeURIComponent(job.id)}/${action}`);
      state.jobs.set(view.id, { ...state.jobs.get(view.id), ...view });
      if (action === 'cancel' && view.cancel === 'REQUESTED') {
        say($('generate-status'), 'Cancelling: the running job stops at its next heartbeat.');
      }
    } catch (err) {
      say($('generate-status'), `${action === 'cancel' ? 'Cancel' : 'Retry'} refused: ${err.message}`, 'error');
    } finally {
      button.disabled = false;
      updateSession(sessionId);
    }
  }

  // ---------------------------------------------------------------- generation

  $('generate-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const prompt = $('generate-prompt').value.trim();
    let sceneCount = Number($('generate-scenes').value);
    const projectId = state.current;
    if (!prompt) {
      say($('generate-status'), 'Say what the lesson should teach.', 'error');
      return;
    }
    let own = null;
    if ($('own-scenes').open && $('own-scenes-text').value.trim()) {
      try {
        own = ownScenes($('own-scenes-text').value);
      } catch (err) {
        say($('generate-status'), err.message, 'error');
        return;
      }
      sceneCount = own.length;
    }
    busy(form, true);
    say($('generate-status'), 'Starting the lesson…');
    try {
      const session = await api('POST', `/api/projects/${encodeURIComponent(projectId)}/sessions`,
        { prompt, sceneCount });
      if (own) session.ownScenes = own;
      merge(state.sessions, session.id, session);
      if (state.current === projectId) {
        $('session-list').prepend(sessionItem(session.id));
        $('sessions-empty').hidden = true;
        updateSession(session.id);
      }
      form.reset();
      $('generate-scenes').value = String(sceneCount);
      await generate(state.sessions.get(session.id), null);
    } catch (err) {
      say($('generate-status'), `The lesson was not started: ${err.message}`, 'error');
    } finally {
      busy(form, false);
    }
  });

  /**
   * The scenes a user wrote: blocks separated by an empty line; a block's first line is its title, lines starting
   * with "-" (or "•", "*") its bullets, the rest its narration. Throws with what is missing.
   */
  function ownScenes(text) {
    const blocks = text.replace(/\r/g, '').split(/\n\s*\n/).map((b) => b.trim()).filter(Boolean);
    if (blocks.length > 50) throw new Error('At most 50 scenes.');
    return blocks.map((block, i) => {
      const [title, ...rest] = block.split('\n').map((l) => l.trim());
      const bullets = rest.filter((l) => /^[-•*]\s*/.test(l)).map((l) => l.replace(/^[-•*]\s*/, '')).filter(Boolean);
      const narration = rest.filter((l) => l && !/^[-•*]\s*/.test(l)).join(' ');
      if (!narration) throw new Error(`Scene ${i + 1} (“${title}”) has no narration: write it under the title.`);
      return { title, narration, bullets };
    });
  }

  /**
   * Queues the session's generation (the seed's POST /jobs/generate); its Idempotency-Key makes a resend safe, and a
   * new one asks for another run ({@code again}).
   */
  async function generate(session, button, again = false) {
    if (button) button.disabled = true;
    try {
      const body = {
        projectId: field(session, 'project_id'),
        sessionId: session.id,
        sceneCount: field(session, 'scene_count'),
        prompt: session.prompt,
        timestamp: Math.floor(Date.now() / 1000),
      };
      if (session.ownScenes) body.scenes = session.ownScenes;
      const key = again ? `generate:${session.id}:${Date.now()}` : `generate:${session.id}`;
      const { jobId } = await api('POST', '/jobs/generate', body, { 'Idempotency-Key': key });
      // The live stream may have brought the run's own states (GENERATING, RENDERING, …) before this answer: QUEUED
      // only if nothing moved the session since the click, or it would overwrite them with a stale state.
      const now = state.sessions.get(session.id) || session;
      const untouched = now.status === session.status;
      merge(state.sessions, session.id, { jobId, error: null,
        status: untouched && (session.status === 'DRAFT' || again) ? 'QUEUED' : now.status });
      if (!state.jobs.has(jobId)) state.jobs.set(jobId, { id: jobId, status: 'PENDING', progress: 0 });
      say($('generate-status'), 'Generation queued; progress shows below as it happens.');
    } catch (err) {
      say($('generate-status'), `Generation was not queued: ${err.message}`, 'error');
    } finally {
      if (button) button.disabled = false;
      updateSession(session.id);
    }
  }

  // ---------------------------------------------------------------- live changes

  function liveStatus(text, kind, on) {
    say($('live-status'), text, kind);
    $('live-status').dataset.live = on;
  }

  /** Follows one project's event stream (fetch, for the Authorization header) until another is followed. */
  function follow(projectId) {
    if (state.live && state.live.projectId === projectId) return;
    stopFollowing();
    const abort = new AbortController();
    state.live = { projectId, abort };
    (async () => {
      let delay = 1000;
      while (!abort.signal.aborted) {
        liveStatus('Connecting to live updates…', '', 'connecting');
        try {
          const res = await fetch(`/api/projects/${encodeURIComponent(projectId)}/events`, {
            headers: kit.authHeaders({ Accept: 'text/event-stream' }),
            signal: abort.signal,
          });
          kit.keepFreshToken(res);
          if (!res.ok) throw await kit.errorOf(res);
          await kit.readEvents(res.body, (ev) => {
            delay = 1000;
            onEvent(projectId, ev);
          });
          if (abort.signal.aborted) return;
          liveStatus('Live updates were interrupted; reconnecting…', 'error', 'off');
        } catch (err) {
          if (abort.signal.aborted || err.name === 'AbortError') return;
          if (err.status === 404 || err.status === 401) {
            liveStatus(err.status === 404 ? 'This project no longer exists.' : 'Sign in again for live updates.',
              'error', 'off');
            return;
          }
          liveStatus(`Live updates were interrupted (${err.message}); reconnecting…`, 'error', 'off');
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
      }
    })();
  }

  function stopFollowing() {
    if (state.live) state.live.abort.abort();
    state.live = null;
  }

  function onEvent(projectId, ev) {
    const data = ev.data || {};
    if (ev.type !== 'job' && !(ev.type || '').startsWith('session.')) state.lastFailure = null;
    switch (ev.type) {
      case 'subscribed':
        liveStatus('Live: changes show as they happen.', '', 'on');
        // what changed before the subscription was live is read again, so nothing falls in between
        if (state.current === projectId) loadSessions(projectId);
        if (state.lesson) loadLesson(state.lesson);
        break;
      case 'overflow':
        liveStatus('Too far behind; catching up…', '', 'off'); // the stream ends; the loop reconnects
        break;
      case 'project.updated':
        state.projects.set(data.id, { ...state.projects.get(data.id), ...data });
        if (state.current === data.id) renderProjectHead(state.projects.get(data.id));
        renderProjectList(state.projects.size);
        break;
      case 'project.deleted':
        state.projects.delete(data.id);
        renderProjectList(state.projects.size);
        if (state.current === data.id) {
          stopFollowing();
          state.current = null;
          $('project-view').hidden = true;
          $('project-none').hidden = false;
          say($('projects-status'), 'The project was deleted.');
        }
        break;
      case 'session.created':
      case 'session.updated':
      case 'session.progress':
      case 'session.restored': {
        const before = state.sessions.get(data.id);
        // a READY or restored session carries its lesson version's fields: that createdAt is not the session's
        const { createdAt, created_at: createdAt2, current, ...change } = data;
        // a render or assembly job that failed just before (its event names no session) is why the session failed
        if (change.status === 'FAILED' && !change.error && state.lastFailure) change.error = state.lastFailure;
        state.lastFailure = null;
        const s = merge(state.sessions, data.id, ev.type === 'session.created' ? { projectId, ...data }
          : { projectId, ...change });
        if (state.current === projectId && !$('session-list').querySelector(`li[data-id="${CSS.escape(s.id)}"]`)) {
          $('session-list').prepend(sessionItem(s.id));
          $('sessions-empty').hidden = true;
        }
        // a partial update may announce the finished video without its (signed) URLs: read the session again
        const finished = s.status === 'READY' && (!before || before.status !== 'READY' || ev.type === 'session.restored');
        if (finished || ev.type === 'session.restored') loadDetails(s.id).catch(() => {});
        updateSession(s.id);
        break;
      }
      case 'scene.created':
      case 'scene.updated':
      case 'scene.progress':
      case 'scene.rendered': {
        const sessionId = field(data, 'session_id');
        if (!sessionId) break;
        const known = sceneMap(sessionId).get(data.id);
        // a stage ("rendering") lasts until the scene's next change of state
        merge(sceneMap(sessionId), data.id, ev.type === 'scene.progress' ? data : { stage: null, ...data });
        if (known && data.version !== undefined && data.version !== known.version && data.narration === undefined) {
          reloadScene(sessionId, data.id); // a new version announced without its words: read them
        }
        updateSession(sessionId);
        break;
      }
      case 'job': {
        const job = { ...state.jobs.get(data.id), ...data };
        state.jobs.set(job.id, job);
        state.lastFailure = job.status === 'FAILURE' && job.error ? job.error : null;
        const sceneId = field(data, 'scene_id');
        if (sceneId) state.sceneJobs.set(sceneId, job.id);
        for (const s of state.sessions.values()) {
          if (field(s, 'job_id') === job.id) updateSession(s.id);
        }
        for (const [scene, jobId] of state.sceneJobs) {
          if (jobId === job.id) updateScene(scene);
        }
        break;
      }
      default:
        break;
    }
  }

  async function reloadScene(sessionId, sceneId) {
    try {
      const sc = await api('GET', `/api/scenes/${encodeURIComponent(sceneId)}`);
      const known = sceneMap(sessionId).get(sceneId);
      if (known && (known.version ?? 0) > (sc.version ?? 0)) return; // an even newer one arrived meanwhile
      merge(sceneMap(sessionId), sceneId, sc);
      updateSession(sessionId);
    } catch (err) {
      // gone (regenerated, deleted): the next session read shows what is there
    }
  }

  // ---------------------------------------------------------------- the lesson page

  async function showLesson(sessionId) {
    kit.selectTab('tab-projects');
    state.lesson = sessionId;
    $('projects-home').hidden = true;
    $('lesson-view').hidden = false;
    $('scene-list').replaceChildren();
    resetPlayer();
    say($('lesson-status'), 'Loading the lesson…');
    const s = await loadLesson(sessionId);
    if (s) {
      say($('lesson-status'), '');
      const projectId = field(s, 'project_id');
      $('lesson-back').href = `#project=${encodeURIComponent(projectId)}`;
      state.current = projectId;
      follow(projectId);
    }
  }

  async function loadLesson(sessionId) {
    try {
      const full = await api('GET', `/api/sessions/${encodeURIComponent(sessionId)}`);
      if (state.lesson !== sessionId) return null;
      acceptSession(full);
      await refreshJob(field(full, 'job_id'));
      updateLesson();
      loadVersions(sessionId);
      return state.sessions.get(sessionId);
    } catch (err) {
      if (state.lesson === sessionId) {
        say($('lesson-status'), err.status === 404 ? 'That lesson does not exist (or is not yours).'
          : `The lesson could not be loaded: ${err.message}`, 'error');
      }
      return null;
    }
  }

  function resetPlayer() {
    const video = $('lesson-video');
    video.replaceChildren();
    video.removeAttribute('poster');
    setSource(video, null);
    video.hidden = true;
    $('lesson-download').hidden = true;
    $('lesson-video-none').hidden = false;
    $('lesson-video-error').hidden = true;
  }

  function updateLesson() {
    const id = state.lesson;
    const s = state.sessions.get(id);
    if (!s) return;
    const view = $('lesson-view');
    const { job, status, value, error } = sessionView(s);
    view.dataset.status = status;
    view.dataset.job = job ? job.status : '';
    $('lesson-heading').textContent = sessionLabel(s);
    $('lesson-prompt').textContent = s.prompt || '';
    $('lesson-prompt').hidden = !s.prompt || s.prompt.trim() === sessionLabel(s);
    $('lesson-state').textContent = jobLine(job, s, sortedScenes(id));
    setBar($('lesson-bar'), value);
    $('lesson-pct').textContent = value === null ? '' : `${Math.round(value)}%`;
    $('lesson-error').hidden = !error;
    $('lesson-error').textContent = error ? `Error: ${error}` : '';
    $('lesson-cancel').hidden = !(job && LIVE_JOB.has(job.status));
    $('lesson-retry').hidden = !(job && (job.status === 'FAILURE' || job.status === 'REVOKED'));
    updatePlayer(s);
    const list = $('scene-list');
    const scenes = sortedScenes(id);
    const items = scenes.map((sc) => sceneItem(sc.id));
    // keep the nodes (a playing preview or an open editor survives) and only fix their order
    items.forEach((item, i) => {
      if (list.children[i] !== item) list.insertBefore(item, list.children[i] || null);
    });
    while (list.children.length > items.length) list.lastElementChild.remove();
    for (const sc of scenes) updateScene(sc.id);
    $('scenes-empty').hidden = scenes.length > 0;
    renderVersions();
  }

  /** The finished lesson: video, poster and captions when the session has them. */
  function updatePlayer(s) {
    const video = $('lesson-video');
    const url = mediaUrl(s, 'video_url');
    const poster = mediaUrl(s, 'poster_url');
    const captions = mediaUrl(s, 'captions_url');
    if (poster) video.poster = poster;
    else video.removeAttribute('poster');
    const track = video.querySelector('track');
    if ((track ? track.getAttribute('src') : null) !== captions) {
      if (track) track.remove();
      if (captions) {
        video.append(el('track', { kind: 'captions', src: captions, srclang: 'en', label: 'Captions', default: '' }));
      }
    }
    setSource(video, url);
    video.hidden = !url;
    $('lesson-video-none').hidden = !!url;
    $('lesson-download').hidden = !url;
    if (url) $('lesson-download').href = url;
  }

  $('lesson-video').addEventListener('error', () => {
    const v = $('lesson-video');
    if (!v.getAttribute('src')) return;
    $('lesson-video-error').hidden = false;
    $('lesson-video-error').textContent = `The video could not be played${v.error && v.error.message
      ? ` (${v.error.message})` : ''}. Its link may have expired: reload the page.`;
  });
  $('lesson-video').addEventListener('loadeddata', () => {
    $('lesson-video-error').hidden = true;
  });
  $('lesson-cancel').addEventListener('click', () => jobAction(state.lesson, 'cancel', $('lesson-cancel')));
  $('lesson-retry').addEventListener('click', () => jobAction(state.lesson, 'retry', $('lesson-retry')));

  /** The scene's plan bullets (where the server plans scenes), else none. */
  function bulletsOf(sc) {
    const plan = sc && sc.plan;
    return plan && Array.isArray(plan.bullets) ? plan.bullets.filter((b) => typeof b === 'string') : [];
  }

  function sceneItem(id) {
    const existing = $('scene-list').querySelector(`li[data-id="${CSS.escape(id)}"]`);
    if (existing) return existing;
    const bar = el('progress', { class: 'bar', max: '100' });
    const preview = el('video', { class: 'preview', controls: '', preload: 'metadata', playsinline: '', hidden: '' });
    const toggle = el('button', { type: 'button', class: 'quiet edit', text: 'Edit this scene', 'aria-expanded': 'false' });
    // what the editor can change: a free request to the model, or the scene's own words
    const fields = {
      prompt: el('textarea', { name: 'prompt', rows: '2', maxlength: '4000' }),
      title: el('input', { name: 'title', maxlength: '200', autocomplete: 'off' }),
      narration: el('textarea', { name: 'narration', rows: '3', maxlength: '2000' }),
      bullets: el('textarea', { name: 'bullets', rows: '3', maxlength: '2000' }),
    };
    const submit = el('button', { type: 'submit', text: 'Re-render this scene' });
    const close = el('button', { type: 'button', class: 'quiet', text: 'Close' });
    const form = el('form', { class: 'scene-edit', hidden: '' },
      el('label', {}, 'What should change?', fields.prompt),
      el('p', { class: 'hint', text: 'Or change the scene\'s own words:' }),
      el('label', {}, 'Scene title', fields.title),
      el('label', {}, 'Narration', fields.narration),
      el('label', {}, 'Bullets, one a line', fields.bullets),
      el('div', { class: 'actions' }, submit, close));
    const status = el('p', { class: 'status edit-status', role: 'status', 'aria-live': 'polite' });
    const item = el('li', { class: 'scene', 'data-id': id },
      el('div', { class: 'scene-head' }, el('h4', { class: 'title' }), el('span', { class: 'badge' }),
        el('span', { class: 'version hint' })),
      bar,
      el('p', { class: 'narration' }),
      el('ul', { class: 'bullets', hidden: '' }),
      preview,
      el('p', { class: 'error', hidden: '' }),
      toggle, form, status);
    toggle.addEventListener('click', () => {
      const open = form.hidden;
      form.hidden = !open;
      toggle.setAttribute('aria-expanded', String(open));
      if (open) {
        const sc = sceneMap(state.lesson).get(id) || {};
        fields.title.value = sc.title || '';
        fields.narration.value = sc.narration || '';
        fields.bullets.value = bulletsOf(sc).join('\n');
        for (const f of Object.values(fields)) f.dataset.before = f.value;
        fields.prompt.focus();
      }
    });
    close.addEventListener('click', () => toggle.click());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      editScene(id, form, toggle, fields, status);
    });
    return item;
  }

  function updateScene(id) {
    const sessionId = state.lesson;
    const sc = sessionId ? sceneMap(sessionId).get(id) : null;
    const item = sc && $('scene-list').querySelector(`li[data-id="${CSS.escape(id)}"]`);
    if (!item) return;
    item.dataset.status = sc.status || '';
    item.dataset.version = String(sc.version ?? '');
    const n = (sc.position ?? 0) + 1;
    item.querySelector('.title').textContent = `${n}. ${sc.title || 'Scene'}`;
    item.querySelector('.badge').textContent = sceneWords(sc);
    item.querySelector('.version').textContent = sc.version ? `version ${sc.version}` : '';
    const bar = item.querySelector('.bar');
    bar.setAttribute('aria-label', `Progress of scene ${n}`);
    setBar(bar, sceneValue(sc));
    const narration = item.querySelector('.narration');
    narration.textContent = sc.narration || 'No narration yet.';
    narration.classList.toggle('hint', !sc.narration);
    const bullets = bulletsOf(sc);
    const list = item.querySelector('.bullets');
    list.replaceChildren(...bullets.map((b) => el('li', { text: b })));
    list.hidden = bullets.length === 0;
    const url = mediaUrl(sc, 'video_url');
    const preview = item.querySelector('.preview');
    preview.setAttribute('aria-label', `Preview of scene ${n}`);
    setSource(preview, url);
    preview.hidden = !url;
    const job = state.sceneJobs.has(id) ? state.jobs.get(state.sceneJobs.get(id)) : null;
    item.dataset.edit = job ? job.status : '';
    const err = job && (job.status === 'FAILURE' || job.status === 'RETRY') ? job.error : field(sc, 'error');
    item.querySelector('.error').hidden = !err;
    item.querySelector('.error').textContent = err ? `Error: ${err}` : '';
    if (job) {
      say(item.querySelector('.edit-status'), `Edit ${words(JOB_WORDS, job.status)}${job.progressMessage
        && LIVE_JOB.has(job.status) ? `: ${job.progressMessage}` : ''}.`, job.status === 'FAILURE' ? 'error' : '');
    }
  }

  /**
   * POST /jobs/edit for one scene: the request to the model, and only the words that were changed (title, narration,
   * bullets); the job's progress and the scene's new version arrive on the stream.
   */
  async function editScene(sceneId, form, toggle, fields, status) {
    const s = state.sessions.get(state.lesson);
    const body = {
      projectId: field(s, 'project_id'),
      sessionId: s.id,
      sceneId,
      prompt: fields.prompt.value.trim(),
      timestamp: Math.floor(Date.now() / 1000),
    };
    const changed = (f) => f.value.trim() !== (f.dataset.before || '').trim();
    if (changed(fields.title) && fields.title.value.trim()) body.title = fields.title.value.trim();
    if (changed(fields.narration) && fields.narration.value.trim()) body.narration = fields.narration.value.trim();
    if (changed(fields.bullets)) {
      body.bullets = fields.bullets.value.split('\n').map((b) => b.trim()).filter(Boolean);
    }
    if (!body.prompt && !body.title && !body.narration && !body.bullets) {
      say(status, 'Say what should change, or change the scene\'s words.', 'error');
      return;
    }
    busy(form, true);
    say(status, 'Queuing the edit…');
    try {
      const key = (crypto.randomUUID && crypto.randomUUID()) || `${Date.now()}-${Math.random()}`;
      const { jobId } = await api('POST', '/jobs/edit', body, { 'Idempotency-Key': `edit:${key}` });
      state.sceneJobs.set(sceneId, jobId);
      if (!state.jobs.has(jobId)) state.jobs.set(jobId, { id: jobId, status: 'PENDING' });
      form.hidden = true;
      form.reset();
      toggle.setAttribute('aria-expanded', 'false');
      updateScene(sceneId);
    } catch (err) {
      say(status, `The edit was not queued: ${err.message}`, 'error');
    } finally {
      busy(form, false);
    }
  }

  /**
   * The lesson's kept versions (GET /api/sessions/{id}/versions), read when the session says it has a version (a
   * server without versions says nothing, and the list stays hidden); each earlier one can be restored.
   */
  async function loadVersions(sessionId) {
    const s = state.sessions.get(sessionId);
    if (!s || typeof s.version !== 'number' || s.version < 1) {
      $('lesson-versions').hidden = true;
      return;
    }
    const tag = `${sessionId}:${s.version}`;
    if (state.versionsLoading === tag) return; // already on its way
    state.versionsLoading = tag;
    let listing;
    try {
      listing = await api('GET', `/api/sessions/${encodeURIComponent(sessionId)}/versions`);
    } catch (err) {
      $('lesson-versions').hidden = true;
      return;
    } finally {
      state.versionsLoading = null;
    }
    if (state.lesson !== sessionId) return;
    state.versions = { sessionId, of: s.version, list: Array.isArray(listing.versions) ? listing.versions : [] };
    renderVersions();
  }

  function renderVersions() {
    const box = $('lesson-versions');
    const s = state.sessions.get(state.lesson);
    const v = state.versions;
    if (!s || !v || v.sessionId !== s.id || v.list.length === 0) {
      box.hidden = true;
      return;
    }
    if (v.of !== s.version) { // a new render or a restore since: read the list again
      loadVersions(s.id);
      return;
    }
    box.hidden = false;
    const busyNow = s.status !== 'READY';
    $('version-list').replaceChildren(...v.list.map((version) => {
      const n = Number(version.version);
      const when = field(version, 'created_at');
      const secs = Number(field(version, 'duration_seconds'));
      const label = [`Version ${n}`, when ? new Date(when).toLocaleString() : '',
        Number.isFinite(secs) && secs > 0 ? `${Math.floor(secs / 60)}:${String(Math.round(secs % 60)).padStart(2, '0')}` : '']
        .filter(Boolean).join(' · ');
      const item = el('li', { 'data-version': String(n) }, el('span', { text: label }));
      if (version.current) {
        item.dataset.current = '';
        item.append(el('span', { class: 'badge', text: 'current' }));
      } else {
        const b = el('button', { type: 'button', class: 'quiet', text: 'Restore', 'aria-label': `Restore version ${n}` });
        b.disabled = busyNow;
        b.addEventListener('click', () => restoreVersion(s.id, n, b));
        item.append(b);
      }
      return item;
    }));
  }

  async function restoreVersion(sessionId, n, button) {
    button.disabled = true;
    say($('lesson-status'), `Restoring version ${n}…`);
    try {
      await api('POST', `/api/sessions/${encodeURIComponent(sessionId)}/versions/${n}/restore`);
      say($('lesson-status'), `Version ${n} is the current one again.`);
      await loadLesson(sessionId);
    } catch (err) {
      say($('lesson-status'), `Version ${n} was not restored: ${err.message}`, 'error');
      button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- routing and lifecycle

  /** #project=<id> and #lesson=<id> open those pages (links can be shared and reloaded). */
  function route() {
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.get('lesson')) {
      showLesson(params.get('lesson'));
      return true;
    }
    if (params.get('project')) {
      showProject(params.get('project'));
      return true;
    }
    return false;
  }

  window.addEventListener('hashchange', () => {
    if (kit.signedIn()) route();
  });

  return {
    /** Whether the server has no language model: then lessons need their scenes written (the form says so). */
    modelOffline(offline) {
      $('own-scenes-offline').hidden = !offline;
      if (offline) $('own-scenes').open = true;
    },
    /** After sign-in: the project list, then the page the address names. */
    async signedIn() {
      try {
        await loadProjects();
      } catch (err) {
        say($('projects-status'), `Your projects could not be loaded: ${err.message}`, 'error');
      }
      route();
    },
    signedOut() {
      stopFollowing();
      state.projects.clear();
      state.sessions.clear();
      state.scenes.clear();
      state.jobs.clear();
      state.sceneJobs.clear();
      state.current = null;
      state.lesson = null;
      state.versions = null;
      $('project-list').replaceChildren();
      $('session-list').replaceChildren();
      $('scene-list').replaceChildren();
      $('project-view').hidden = true;
      $('project-none').hidden = false;
      $('lesson-view').hidden = true;
      $('projects-home').hidden = false;
      resetPlayer();
    },
  };
}
