// Lectern web console: plain JavaScript, no build step, same-origin calls only (see the CSP of GET /).
// Sections: sign-in/sign-up, tutor chat over SSE (streamed text, queued sentence audio, citations), uploads (hidden when
// the server has none), video rooms over the /ws JSON dialect with a real RTCPeerConnection, the avatar, and the
// projects with their lesson videos (projects.js).

import { createProjects } from '/console/projects.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'lectern.token';

/** The invite of the room link this page was opened with ({room, code}), if any. */
let linkInvite = null;
const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  user: null,
  tutors: [],
  sessionId: null,
  chatAbort: null,
};

// ---------------------------------------------------------------- helpers

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function saveToken(token) {
  state.token = token;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function authHeaders(extra = {}) {
  return state.token ? { ...extra, Authorization: 'Bearer ' + state.token } : extra;
}

/** Reads an error body ({error, message, requestId}) into an ApiError. */
async function errorOf(res) {
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    // not JSON
  }
  const message = body && body.message ? body.message : `${res.status} ${res.statusText}`;
  const retry = res.headers.get('Retry-After');
  return new ApiError(res.status, body && body.error, retry ? `${message} (retry in ${retry} s)` : message);
}

/** One REST call: JSON (or FormData) in, JSON out; a refreshed token in X-New-Token is kept. */
async function api(method, path, body, extraHeaders = {}) {
  const headers = authHeaders(extraHeaders);
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload });
  keepFreshToken(res);
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && state.token && path !== '/api/login') signedOut('Your session has ended; please sign in again.');
    throw err;
  }
  const text = res.status === 204 ? '' : await res.text(); // POST /api/sessionid answers 200 with no body
  return text ? JSON.parse(text) : null;
}

function keepFreshToken(res) {
  const fresh = res.headers.get('X-New-Token');
  if (fresh) saveToken(fresh);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function say(node, text, kind = '') {
  node.textContent = text;
  node.dataset.kind = kind;
}

function busy(form, on) {
  for (const b of form.querySelectorAll('button')) b.disabled = on;
}

// ---------------------------------------------------------------- accounts

function signedOut(message) {
  saveToken(null);
  state.user = null;
  leaveRoom();
  projects.signedOut();
  $('app-view').hidden = true;
  $('auth-view').hidden = false;
  $('sign-out').hidden = true;
  $('who').textContent = '';
  say($('auth-status'), message || '', message ? 'error' : '');
}

async function signedIn(session) {
  saveToken(session.token);
  state.user = session.user || null;
  if (!state.user) {
    const status = await api('GET', '/api/token_status');
    state.user = { id: status.user_id, role: status.role, email: '' };
  }
  $('who').textContent = `${state.user.display_name || state.user.email || 'user ' + state.user.id} · ${state.user.role}`;
  $('auth-view').hidden = true;
  $('app-view').hidden = false;
  $('sign-out').hidden = false;
  say($('auth-status'), '');
  const linkParams = new URLSearchParams(location.hash.slice(1));
  const fromLink = linkParams.get('room');
  if (fromLink) {
    $('room-id').value = fromLink;
    linkInvite = { room: fromLink, code: linkParams.get('invite') }; // a room's link carries its invite
    selectTab('tab-room');
  }
  await Promise.allSettled([loadTutors(), loadModels(), loadFiles(), loadAvatars(), projects.signedIn()]);
}

$('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  busy(form, true);
  say($('auth-status'), 'Signing in…');
  try {
    await signedIn(await api('POST', '/api/login', {
      email: $('sign-in-email').value.trim(),
      password: $('sign-in-password').value,
    }));
  } catch (err) {
    say($('auth-status'), err.message, 'error');
  } finally {
    busy(form, false);
  }
});

// Sign-up is two steps: the server e-mails a six-digit code (written to its log when no SMTP server is configured),
// then the account is created with that code.
$('sign-up-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const email = $('sign-up-email').value.trim();
  busy(form, true);
  try {
    if ($('code-step').hidden) {
      await api('POST', '/api/send_verification', { email, purpose: 'register' });
      $('code-step').hidden = false;
      $('sign-up-code').required = true;
      $('sign-up-submit').textContent = 'Create the account';
      say($('auth-status'), `A code is on its way to ${email}.`);
      $('sign-up-code').focus();
    } else {
      const session = await api('POST', '/api/register', {
        email,
        password: $('sign-up-password').value,
        code: $('sign-up-code').value.trim(),
      });
      await signedIn(session);
    }
  } catch (err) {
    say($('auth-status'), err.message, 'error');
  } finally {
    busy(form, false);
  }
});

$('sign-out').addEventListener('click', async () => {
  try {
    await api('POST', '/api/logout');
  } catch (err) {
    // signed out locally either way
  }
  signedOut('');
});

// ---------------------------------------------------------------- tabs

const TABS = ['tab-chat', 'tab-room', 'tab-avatar', 'tab-projects'];

function selectTab(id) {
  for (const t of TABS) {
    const tab = $(t);
    const on = t === id;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute('aria-controls')).hidden = !on;
  }
}

for (const t of TABS) {
  $(t).addEventListener('click', () => selectTab(t));
  $(t).addEventListener('keydown', (e) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    const next = TABS[(TABS.indexOf(t) + step + TABS.length) % TABS.length];
    selectTab(next);
    $(next).focus();
  });
}

// ---------------------------------------------------------------- tutors and chat

async function loadTutors() {
  const page = await api('GET', '/api/companions?page_size=100');
  state.tutors = (page.companions || []).filter((c) => !c.retired);
  const select = $('tutor');
  select.replaceChildren(el('option', { value: '', text: 'Default tutor' }),
    ...state.tutors.map((c) => el('option', { value: c.id, text: `${c.name} — ${c.subject}` })));
  if (state.tutors.length) select.value = state.tutors[0].id;
  showTutor();
}

function showTutor() {
  const t = state.tutors.find((c) => c.id === $('tutor').value);
  $('tutor-about').textContent = t ? t.greeting || '' : 'A general tutor with the server\'s default persona.';
  state.sessionId = null; // a new tutor starts a new conversation
}

$('tutor').addEventListener('change', showTutor);

async function loadModels() {
  const m = await api('GET', '/api/llm/models');
  const models = m.models || [];
  const offline = models.length === 0 || models.every((x) => x.offline);
  $('model-notice').hidden = !offline;
  projects.modelOffline(offline);
}

const ROLE_LABELS = { me: 'You', tutor: 'Tutor', system: 'Lectern' };

/** A chat line; role is me, tutor, peer or system (a class), label the name shown (text only). */
function addMessage(list, role, text, extra = {}, label = ROLE_LABELS[role]) {
  const item = el('li', { class: `msg ${role}`, ...extra });
  item.append(el('span', { class: 'who', text: label || '' }), el('p', { class: 'text', text }));
  list.append(item);
  item.scrollIntoView({ block: 'end' });
  return item;
}

$('chat-input').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    $('chat-form').requestSubmit();
  }
});

$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('chat-input').value.trim();
  if (!text) return;
  $('chat-input').value = '';
  ask(text);
});

/** Asks the tutor; the answer streams in over SSE (POST /api/chat/stream read with a ReadableStream). */
async function ask(question) {
  if (state.chatAbort) state.chatAbort.abort(); // the server interrupts the older answer anyway (barge-in)
  const abort = new AbortController();
  state.chatAbort = abort;
  addMessage($('messages'), 'me', question);
  const answer = addMessage($('messages'), 'tutor', '', { 'data-state': 'waiting', 'aria-busy': 'true' });
  const text = answer.querySelector('.text');
  audio.reset();
  const body = { message: question };
  if (state.sessionId) body.session_id = state.sessionId;
  if ($('tutor').value) body.companion_id = $('tutor').value;
  try {
    const res = await fetch('/api/chat/stream', {
      method: 'POST',
      headers: authHeaders({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
      body: JSON.stringify(body),
      signal: abort.signal,
    });
    keepFreshToken(res);
    if (!res.ok) throw await errorOf(res);
    await readEvents(res.body, (event) => onChatEvent(event, answer, text));
    if (answer.dataset.state === 'streaming' || answer.dataset.state === 'waiting') {
      answer.dataset.state = 'error';
      answer.append(el('p', { class: 'error', text: 'The answer was cut off.' }));
    }
  } catch (err) {
    if (err.name === 'AbortError') {
      answer.dataset.state = 'interrupted';
    } else {
      answer.dataset.state = 'error';
      answer.append(el('p', { class: 'error', text: err.message }));
    }
  } finally {
    answer.removeAttribute('aria-busy');
    if (state.chatAbort === abort) state.chatAbort = null;
  }
}

/** Splits a text/event-stream body into events and hands each parsed `data:` payload on. */
export async function readEvents(stream, onEvent) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer[end] === '\r' ? 4 : 2));
      const data = block.split(/\r?\n/).filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(l.startsWith('data: ') ? 6 : 5)).join('\n');
      if (!data) continue; // a comment (keep-alive) or an id-only block
      try {
        onEvent(JSON.parse(data));
      } catch (e) {
        console.warn('unreadable event', data, e);
      }
    }
  }
}

function onChatEvent(event, answer, text) {
  switch (event.status) {
    case 'started':
      state.sessionId = event.session_id || state.sessionId;
      answer.dataset.state = 'streaming';
      if (event.offline) $('model-notice').hidden = false;
      break;
    case 'streaming':
      answer.dataset.state = 'streaming';
      text.textContent += event.chunk;
      break;
    case 'audio':
      audio.enqueue(event.index, event.audio_url);
      break;
    case 'complete':
      state.sessionId = event.session_id || state.sessionId;
      if (typeof event.text === 'string') text.textContent = event.text;
      answer.dataset.state = 'complete';
      if (event.offline) {
        answer.append(el('p', { class: 'warn', text: 'Offline provider: no language model is configured on this server.' }));
      }
      if (event.notice) answer.append(el('p', { class: 'hint', text: event.notice }));
      if (Array.isArray(event.sources) && event.sources.length) answer.append(citations(event.sources));
      answer.scrollIntoView({ block: 'end' }); // the notes and sources below the text
      break;
    case 'error':
      answer.dataset.state = 'error';
      answer.append(el('p', { class: 'error', text: `${event.message || 'The tutor could not answer.'}${event.code ? ` (${event.code})` : ''}` }));
      break;
    case 'interrupted':
      answer.dataset.state = 'interrupted';
      answer.append(el('p', { class: 'hint', text: 'Interrupted by your newer question.' }));
      break;
    default:
      break;
  }
}

function citations(sources) {
  const list = el('ol', { class: 'sources', 'aria-label': 'Sources' });
  for (const s of sources) {
    const where = s.page ? `${s.filename}, page ${s.page}` : s.filename;
    list.append(el('li', {}, el('cite', { text: where || 'document' }),
      el('blockquote', { text: s.passage || '' })));
  }
  return el('details', { class: 'cited', open: '' }, el('summary', { text: 'Sources' }), list);
}

/** Plays each sentence's audio in order as it arrives; the index of the audio event fixes the order. */
const audio = (() => {
  const player = $('tts');
  let queue = new Map();
  let next = 0;
  let playing = false;

  function pump() {
    if (playing || !queue.has(next)) return;
    const url = queue.get(next);
    queue.delete(next);
    next += 1;
    playing = true;
    player.src = url;
    $('tts-state').textContent = `Sentence ${next}`;
    player.play().catch(() => {
      playing = false;
      $('tts-state').textContent = 'Press play to hear the answer.';
    });
  }

  player.addEventListener('ended', () => {
    playing = false;
    pump();
  });
  player.addEventListener('error', () => {
    playing = false;
    pump();
  });

  return {
    enqueue(index, url) {
      queue.set(Number.isInteger(index) ? index : next + queue.size, url);
      pump();
    },
    reset() {
      queue = new Map();
      next = 0;
      playing = false;
      player.pause();
      $('tts-state').textContent = '';
    },
  };
})();

// ---------------------------------------------------------------- uploads (hidden when the server has none)

const FILES_PAGE = 100;

/** GET /api/user_files?page_size=: {msg, total, files:[{id, filename, file_type, status, error, passages, ...}]}. */
async function loadFiles() {
  let listing;
  try {
    listing = await api('GET', `/api/user_files?page_size=${FILES_PAGE}`);
  } catch (err) {
    $('upload-box').hidden = true;
    $('upload-off').hidden = err.status !== 404; // this server has no uploads; other failures stay quiet
    return;
  }
  $('upload-box').hidden = false;
  $('upload-off').hidden = true;
  const files = listing.files || [];
  const items = files.map(fileItem);
  if (listing.total > files.length) {
    items.push(el('li', { class: 'hint', text: `and ${listing.total - files.length} older files` }));
  }
  $('files').replaceChildren(...items);
}

/** What indexing did with a file, in words: indexed, failed (with the reason) or stored without an index. */
function fileState(f) {
  switch (f.status) {
    case 'indexed':
      return `indexed, ${f.passages} passage${f.passages === 1 ? '' : 's'}`;
    case 'failed':
      return `not usable: ${f.error || 'indexing failed'}`;
    case 'not_indexed':
      return f.error ? `stored, not searchable: ${f.error}` : 'stored, not searchable';
    default:
      return f.status || 'being indexed';
  }
}

function fileItem(f) {
  const remove = el('button', { type: 'button', class: 'quiet', 'aria-label': `Delete ${f.filename}`, text: 'Delete' });
  remove.addEventListener('click', () => deleteFile(f, remove));
  return el('li', { 'data-id': String(f.id), 'data-status': f.status || '' },
    el('span', { class: 'name', text: f.filename }), remove, el('p', { class: 'state', text: fileState(f) }));
}

async function deleteFile(f, button) {
  button.disabled = true;
  try {
    await api('DELETE', `/api/user_files/${encodeURIComponent(f.id)}`);
    say($('upload-status'), `${f.filename} is deleted.`);
  } catch (err) {
    // 404: already gone (deleted from another tab); the refreshed list shows what is left
    if (err.status !== 404) say($('upload-status'), `${f.filename} could not be deleted: ${err.message}`, 'error');
  } finally {
    button.disabled = false;
    await loadFiles().catch(() => {});
  }
}

/** The server's refusal of an upload, said plainly (its own message carries the limit or the accepted types). */
function uploadRefusal(err) {
  if (err.status === 413) return `too large: ${err.message}`;
  if (err.status === 415) return `this type of file is not accepted: ${err.message}`;
  if (err.status === undefined) { // no answer at all: the server closes the connection on a refused large upload
    return 'the upload was cut off by the server (is the file larger than it accepts?)';
  }
  return err.message;
}

$('upload-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const file = $('upload-file').files[0];
  if (!file) return;
  const data = new FormData();
  data.append('file', file);
  if (state.sessionId) data.append('session_id', state.sessionId);
  busy(form, true);
  say($('upload-status'), `Uploading ${file.name}…`);
  try {
    const f = await api('POST', '/api/chat/upload', data);
    form.reset();
    say($('upload-status'), `${f.filename}: ${fileState(f)}.`, f.status === 'failed' ? 'error' : '');
  } catch (err) {
    say($('upload-status'), `${file.name}: ${uploadRefusal(err)}`, 'error');
  } finally {
    busy(form, false);
  }
  await loadFiles().catch(() => {});
});

// ---------------------------------------------------------------- video rooms

/**
 * One room at a time. Signaling over the same-origin /ws JSON dialect; the newcomer makes the offer (it learns the
 * peers already there from `joined`), the one already in the room answers, candidates trickle both ways.
 */
const room = {
  ws: null,
  id: null,
  peerId: null,
  remote: null,
  pc: null,
  iceServers: [],
  local: null,
  pending: [],
  nextId: 1,
};

function roomStatus(text) {
  $('room-status').textContent = text;
}

function roomFlags() {
  const s = $('room-status');
  s.dataset.ice = room.pc ? room.pc.iceConnectionState : 'new';
  s.dataset.connection = room.pc ? room.pc.connectionState : 'new';
}

function send(event, data) {
  if (room.ws && room.ws.readyState === WebSocket.OPEN) {
    room.ws.send(JSON.stringify({ event, data, id: room.nextId++ }));
  }
}

$('room-create').addEventListener('click', async () => {
  const body = {};
  if ($('room-with-tutor').checked && $('tutor').value) body.companion_id = $('tutor').value;
  try {
    const created = await api('POST', '/api/video/rooms', body);
    // only the owner and people it invites may join: the shared link carries an invite code
    const invite = await api('POST', `/api/video/rooms/${encodeURIComponent(created.room_id)}/invites`);
    await joinRoom(created.room_id, invite.invite);
    if (created.greeting) addMessage($('room-messages'), 'tutor', created.greeting);
  } catch (err) {
    roomStatus(`Could not start a room: ${err.message}`);
  }
});

$('room-join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = $('room-id').value.trim();
  if (id) joinRoom(id, linkInvite && linkInvite.room === id ? linkInvite.code : null);
});

$('room-leave').addEventListener('click', () => {
  leaveRoom();
  roomStatus('You left the room.');
});

async function joinRoom(id, invite) {
  leaveRoom();
  room.id = id;
  $('room-id').value = id;
  const link = invite
    ? `${location.origin}/#invite=${encodeURIComponent(invite)}&room=${encodeURIComponent(id)}`
    : `${location.origin}/#room=${encodeURIComponent(id)}`;
  $('room-link').replaceChildren('Share this room: ', el('a', { href: link, text: link }));
  roomStatus('Starting the camera…');
  let local = null;
  try {
    local = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  } catch (err) {
    addMessage($('room-messages'), 'system', `No camera or microphone (${err.message}); you can still watch and chat.`);
  }
  if (room.id !== id) { // left, or went to another room, while the camera started
    if (local) local.getTracks().forEach((t) => t.stop());
    return;
  }
  room.local = local;
  $('local-video').srcObject = local;
  roomStatus('Connecting to the signaling server…');
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(state.token)}`);
  room.ws = ws;
  ws.addEventListener('open', () => send('join', invite ? { room_id: id, invite } : { room_id: id }));
  ws.addEventListener('message', (m) => {
    let frame;
    try {
      frame = JSON.parse(m.data);
    } catch (e) {
      return;
    }
    if (frame.event) onSignal(frame.event, frame.data || {}).catch((err) => roomStatus(`Error: ${err.message}`));
    else if (frame.ack !== undefined && frame.data && frame.data.ok === false) {
      roomStatus(`Refused: ${frame.data.message || frame.data.code}`);
    }
  });
  ws.addEventListener('close', (e) => {
    if (room.ws !== ws) return;
    roomStatus(e.code === 1006 && !room.peerId
      ? 'Could not connect to signaling (signed out, or signaling.serveOnHttpPort is off on this server).'
      : `Signaling closed${e.reason ? ': ' + e.reason : ''}.`);
    closePeer();
    room.ws = null;
  });
  $('room-leave').hidden = false;
}

async function onSignal(event, data) {
  switch (event) {
    case 'joined':
      room.peerId = data.peer_id;
      room.iceServers = Array.isArray(data.ice_servers) ? data.ice_servers : [];
      if (data.peers && data.peers.length) {
        room.remote = data.peers[0].peer_id;
        remoteCaption(data.peers[0].user_id);
        roomStatus('Calling the other participant…');
        await offer();
      } else {
        roomStatus('In the room. Share the link and wait for someone to join.');
      }
      break;
    case 'peer-joined':
      closePeer();
      room.remote = data.peer_id;
      remoteCaption(data.user_id);
      $('room-status').dataset.peer = 'joined';
      roomStatus('Someone joined; connecting…');
      break;
    case 'offer': {
      room.remote = data.from;
      const pc = peer(true);
      await pc.setRemoteDescription({ type: 'offer', sdp: data.sdp });
      await flushCandidates();
      await pc.setLocalDescription(await pc.createAnswer());
      send('answer', { room_id: room.id, sdp: pc.localDescription.sdp, to: data.from });
      break;
    }
    case 'answer':
      if (room.pc && data.from === room.remote) {
        await room.pc.setRemoteDescription({ type: 'answer', sdp: data.sdp });
        await flushCandidates();
      }
      break;
    case 'candidate':
      if (data.from !== room.remote) break;
      if (room.pc && room.pc.remoteDescription) await addCandidate(data.candidate);
      else room.pending.push(data.candidate);
      break;
    case 'message':
      addRoomMessage(data);
      break;
    case 'message-delta': {
      let live = $('room-messages').querySelector('li[data-live]');
      if (!live) live = addMessage($('room-messages'), 'tutor', '', { 'data-live': '' });
      live.querySelector('.text').textContent += data.chunk || '';
      break;
    }
    case 'peer-left':
      if (data.peer_id === room.remote) {
        closePeer();
        $('room-status').dataset.peer = 'left';
        $('remote-video').srcObject = null;
        $('remote-caption').textContent = 'The other participant left.';
        roomStatus('The other participant left the room.');
      }
      break;
    case 'error':
      roomStatus(`Signaling error: ${data.message || data.code}`);
      break;
    default:
      break;
  }
}

function remoteCaption(userId) {
  $('remote-caption').textContent = userId ? `User ${userId}` : 'Participant';
}

function addRoomMessage(data) {
  const live = $('room-messages').querySelector('li[data-live]');
  if (live && data.sender === 'ai') live.remove();
  const role = data.from === room.peerId ? 'me' : data.sender === 'ai' ? 'tutor' : 'peer';
  const item = addMessage($('room-messages'), role, data.message, {}, role === 'peer' ? String(data.sender || `User ${data.user_id}`) : undefined);
  if (data.audio_url) audio.enqueue(undefined, data.audio_url);
  return item;
}

$('room-chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('room-input').value.trim();
  if (!text || !room.peerId) return;
  send('message', { room_id: room.id, message: text, sender: state.user ? state.user.display_name || state.user.email || 'me' : 'me' });
  $('room-input').value = '';
});

function peer(create) {
  if (room.pc || !create) return room.pc;
  const pc = new RTCPeerConnection({ iceServers: room.iceServers });
  room.pc = pc;
  if (room.local) {
    for (const track of room.local.getTracks()) pc.addTrack(track, room.local);
  } else {
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
  }
  pc.addEventListener('icecandidate', (e) => {
    send('candidate', { room_id: room.id, candidate: e.candidate ? e.candidate.toJSON() : null, to: room.remote });
  });
  pc.addEventListener('track', (e) => {
    const video = $('remote-video');
    if (video.srcObject !== e.streams[0]) video.srcObject = e.streams[0] || new MediaStream([e.track]);
  });
  const changed = () => {
    if (room.pc !== pc) return;
    roomFlags();
    const s = pc.connectionState;
    if (s === 'connected') roomStatus('Connected.');
    else if (s === 'failed') roomStatus('The connection failed (no route between you; a TURN server may be needed).');
    else if (s === 'disconnected') roomStatus('Connection lost; waiting…');
  };
  pc.addEventListener('iceconnectionstatechange', changed);
  pc.addEventListener('connectionstatechange', changed);
  roomFlags();
  return pc;
}

async function offer() {
  const pc = peer(true);
  await pc.setLocalDescription(await pc.createOffer());
  send('offer', { room_id: room.id, sdp: pc.localDescription.sdp, to: room.remote });
}

async function addCandidate(candidate) {
  try {
    await room.pc.addIceCandidate(candidate || null);
  } catch (err) {
    console.warn('candidate refused', err);
  }
}

async function flushCandidates() {
  const pending = room.pending;
  room.pending = [];
  for (const c of pending) await addCandidate(c);
}

function closePeer() {
  if (room.pc) room.pc.close();
  room.pc = null;
  room.pending = [];
  roomFlags();
}

function leaveRoom() {
  if (room.ws) {
    send('leave', { room_id: room.id });
    room.ws.close(1000);
  }
  room.ws = null;
  closePeer();
  if (room.local) room.local.getTracks().forEach((t) => t.stop());
  room.local = null;
  room.id = null;
  room.peerId = null;
  room.remote = null;
  $('local-video').srcObject = null;
  $('remote-video').srcObject = null;
  $('room-leave').hidden = true;
  $('room-status').dataset.peer = 'none';
}

window.addEventListener('pagehide', () => leaveRoom());

// ---------------------------------------------------------------- avatar

const avatar = { pc: null, session: null };

async function loadAvatars() {
  const list = await api('GET', '/api/avatar/list');
  // keyed by avatar name, as the Virtual Tutor seed documents it
  const usable = Object.entries(list || {}).map(([name, a]) => ({ ...a, name })).filter((a) => a.status === 'active');
  $('avatar-none').hidden = usable.length > 0;
  $('avatar-form').hidden = usable.length === 0;
  $('avatar-name').replaceChildren(...usable.map((a) => el('option', { value: a.name, text: a.description ? `${a.name} — ${a.description}` : a.name })));
}

$('avatar-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  busy(form, true);
  say($('avatar-status'), 'Starting the avatar; this can take a while…');
  try {
    const started = await api('POST', '/api/avatar/start', { avatar_name: $('avatar-name').value });
    await connectAvatar(started.webrtc_url || '/api/webrtc/offer');
    say($('avatar-status'), `Avatar ${started.avatar_id} is live.`);
    $('avatar-stop').hidden = false;
    $('avatar-say-form').hidden = false;
  } catch (err) {
    say($('avatar-status'), `The avatar did not start: ${err.message}`, 'error');
  } finally {
    busy(form, false);
  }
});

/** The avatar takes one complete (non-trickle) offer; media then flows between the browser and the avatar host. */
async function connectAvatar(offerUrl) {
  stopAvatarMedia();
  const config = await api('GET', '/api/webrtc/config');
  const pc = new RTCPeerConnection({ iceServers: config.iceServers || [] });
  avatar.pc = pc;
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addEventListener('track', (e) => {
    $('avatar-video').srcObject = e.streams[0] || new MediaStream([e.track]);
    $('avatar-video').hidden = false;
  });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const done = () => pc.iceGatheringState === 'complete' && resolve();
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, 3000); // go with what was gathered
  });
  const answer = await api('POST', offerUrl, { sdp: pc.localDescription.sdp, type: pc.localDescription.type });
  if (answer.code === -1) throw new Error(answer.msg || 'the avatar refused the offer');
  avatar.session = answer.sessionid;
  await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
}

$('avatar-say-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('avatar-text').value.trim();
  if (!text) return;
  try {
    await api('POST', '/api/webrtc/human', { sessionid: avatar.session, text, type: 'echo', interrupt: true });
    $('avatar-text').value = '';
  } catch (err) {
    say($('avatar-status'), err.message, 'error');
  }
});

$('avatar-stop').addEventListener('click', async () => {
  stopAvatarMedia();
  try {
    await api('POST', '/api/avatar/disconnect');
  } catch (err) {
    // released on the server's idle timer anyway
  }
  say($('avatar-status'), 'The avatar is stopped.');
  $('avatar-stop').hidden = true;
  $('avatar-say-form').hidden = true;
});

function stopAvatarMedia() {
  if (avatar.pc) avatar.pc.close();
  avatar.pc = null;
  avatar.session = null;
  $('avatar-video').srcObject = null;
  $('avatar-video').hidden = true;
}

// ---------------------------------------------------------------- projects and lesson videos

const projects = createProjects({
  $, api, el, say, busy, readEvents, authHeaders, keepFreshToken, errorOf, selectTab,
  signedIn: () => state.user !== null,
});

// ---------------------------------------------------------------- start

(async () => {
  if (!state.token) return signedOut('');
  try {
    await signedIn({ token: state.token });
  } catch (err) {
    signedOut(err.status === 401 ? 'Your session has ended; please sign in again.' : err.message);
  }
})();
