// The Ringfence chat widget page. It runs in an iframe on an approved site: the site's
// loader.js starts the chat (the contact center checks the site's Origin) and hands this
// page the participant token by postMessage; from then on the page speaks Amazon Connect's
// participant API and WebSocket protocol on its own origin.
//
// Rendering: every string from the chat reaches the page as text (text.js: text nodes, with
// characters that could disguise a message shown as visible markers); Markdown goes through
// markdown.js (DOM nodes, safe links only), the same modules the agent workspace uses; a
// flow's menu (interactive QuickReply) becomes buttons that send the option as text.
//
// Reconnection: when the WebSocket drops, the page asks for a new connection with the
// participant token, subscribes, then reads the transcript forward from the last stored
// item it has shown, and shows each item at most once (by Id). Items pushed while it catches
// up wait until the transcript page is in, so the order holds.
import { renderMarkdown } from './markdown.js';
import { plainText, setText } from './text.js';

const $ = (id) => document.getElementById(id);
const body = document.body;
const widgetId = body.dataset.widgetId;
const origins = new Set(JSON.parse(body.dataset.origins || '[]'));

const EVENT = 'application/vnd.amazonaws.connect.event.';
const INTERACTIVE = 'application/vnd.amazonaws.connect.message.interactive';

const state = {
  participantToken: '',
  participantId: '',
  contactId: '',
  connectionToken: '',
  ws: null,
  ended: false,
  lastStoredId: '', // the newest item shown that GetTranscript can start from
  seen: new Set(),
  catchingUp: false,
  pending: [], // items pushed during catch-up
  retry: 0,
  heartbeat: 0,
  parentOrigin: '',
};

// ---- starting: through the embedding page ----

function parentOrigin() {
  const anc = window.location.ancestorOrigins;
  if (anc && anc.length > 0) {
    return anc[0];
  }
  return '';
}

function showStartError(text) {
  const p = $('start-error');
  p.textContent = text;
  p.hidden = false;
  $('start').disabled = false;
}

function randomToken() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

$('start-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('display-name').value.trim();
  if (name === '') {
    showStartError('Please type your name.');
    return;
  }
  if (window.parent === window) {
    showStartError('This chat opens from the organisation\u2019s web site.');
    return;
  }
  const target = parentOrigin();
  if (target !== '' && !origins.has(target)) {
    showStartError('This site may not start chats.');
    return;
  }
  $('start').disabled = true;
  $('start-error').hidden = true;
  // The loader answers with ringfence:started or ringfence:error.
  window.parent.postMessage({ type: 'ringfence:start', widgetId, displayName: name, clientToken: randomToken() }, target || '*');
});

window.addEventListener('message', (e) => {
  if (e.source !== window.parent || !origins.has(e.origin)) {
    return;
  }
  const d = e.data;
  if (!d || typeof d !== 'object') {
    return;
  }
  if (d.type === 'ringfence:error') {
    showStartError(String(d.message || 'The chat could not start.'));
    return;
  }
  if (d.type === 'ringfence:started' && !state.participantToken && typeof d.participantToken === 'string') {
    state.parentOrigin = e.origin;
    state.participantToken = d.participantToken;
    state.participantId = String(d.participantId || '');
    state.contactId = String(d.contactId || '');
    $('welcome').hidden = true;
    $('conversation').hidden = false;
    $('message').focus();
    connect();
  }
});

$('close').addEventListener('click', () => {
  if (window.parent !== window) {
    window.parent.postMessage({ type: 'ringfence:close' }, state.parentOrigin || parentOrigin() || '*');
  }
});

// ---- the participant API ----

class APIError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

async function call(path, token, payload) {
  const resp = await fetch('/participant/' + path, {
    method: 'POST',
    credentials: 'omit',
    cache: 'no-store',
    headers: { 'Content-Type': 'application/json', 'X-Amz-Bearer': token },
    body: JSON.stringify(payload),
  });
  const out = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    throw new APIError(resp.status, resp.headers.get('x-amzn-ErrorType') || '', String(out.Message || 'request failed'));
  }
  return out;
}

function setStatus(text) {
  $('status').textContent = text;
}

// connect opens (or reopens) the WebSocket and catches up on what was missed.
async function connect() {
  if (state.ended) {
    return;
  }
  let conn;
  try {
    conn = await call('connection', state.participantToken, { Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'], ConnectParticipant: true });
  } catch (err) {
    if (err instanceof APIError && err.status === 403) {
      chatEnded();
      return;
    }
    scheduleReconnect();
    return;
  }
  state.connectionToken = conn.ConnectionCredentials.ConnectionToken;
  let ws;
  try {
    ws = new WebSocket(conn.Websocket.Url);
  } catch {
    scheduleReconnect();
    return;
  }
  state.ws = ws;
  ws.addEventListener('open', () => {
    ws.send(JSON.stringify({ topic: 'aws/subscribe', content: { topics: ['aws/chat'] } }));
  });
  ws.addEventListener('message', (e) => onFrame(ws, e.data));
  ws.addEventListener('close', () => {
    if (state.ws !== ws) {
      return;
    }
    state.ws = null;
    clearInterval(state.heartbeat);
    if (!state.ended) {
      setStatus('Reconnecting\u2026');
      scheduleReconnect();
    }
  });
}

function scheduleReconnect() {
  if (state.ended) {
    return;
  }
  const delay = Math.min(1000 * 2 ** state.retry, 10000);
  state.retry++;
  setTimeout(() => {
    if (!state.ws && !state.ended) {
      connect();
    }
  }, delay);
}

window.addEventListener('online', () => {
  if (state.participantToken && !state.ws && !state.ended) {
    state.retry = 0;
    connect();
  }
});

function onFrame(ws, data) {
  let f;
  try {
    f = JSON.parse(data);
  } catch {
    return;
  }
  if (f.topic === 'aws/subscribe' && f.content && f.content.status === 'success') {
    state.retry = 0;
    setStatus('');
    clearInterval(state.heartbeat);
    state.heartbeat = setInterval(() => {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send('{"topic":"aws/heartbeat"}');
      }
    }, 10000);
    catchUp();
    return;
  }
  if (f.topic !== 'aws/chat' || typeof f.content !== 'string') {
    return;
  }
  let item;
  try {
    item = JSON.parse(f.content);
  } catch {
    return;
  }
  if (state.catchingUp) {
    state.pending.push(item);
  } else {
    show(item);
  }
}

// catchUp reads the transcript forward from the last stored item shown.
async function catchUp() {
  state.catchingUp = true;
  try {
    let next = '';
    for (let page = 0; page < 100; page++) {
      const req = { ScanDirection: 'FORWARD', SortOrder: 'ASCENDING', MaxResults: 100 };
      if (next) {
        req.NextToken = next;
      } else if (state.lastStoredId) {
        req.StartPosition = { Id: state.lastStoredId };
      }
      const out = await call('transcript', state.connectionToken, req);
      (out.Transcript || []).forEach(show);
      next = out.NextToken || '';
      if (!next) {
        break;
      }
    }
  } catch (err) {
    if (err instanceof APIError && err.status === 403) {
      chatEnded();
    }
  } finally {
    state.catchingUp = false;
    const pending = state.pending;
    state.pending = [];
    pending.forEach(show);
  }
}

// ---- rendering ----

function isStored(item) {
  return item.Type === 'MESSAGE' || (item.Type === 'EVENT' && item.ContentType !== EVENT + 'typing');
}

let typingTimer = 0;

function show(item) {
  if (!item || typeof item.Id !== 'string') {
    return;
  }
  if (item.Type === 'EVENT' && item.ContentType === EVENT + 'typing') {
    if (item.ParticipantId !== state.participantId) {
      const t = $('typing');
      t.textContent = (item.DisplayName || 'Someone') + ' is typing\u2026';
      t.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { t.hidden = true; }, 4000);
    }
    return;
  }
  if (!isStored(item) || state.seen.has(item.Id)) {
    return;
  }
  state.seen.add(item.Id);
  state.lastStoredId = item.Id;
  const li = document.createElement('li');
  li.dataset.id = item.Id;
  if (item.Type === 'MESSAGE') {
    li.className = 'message ' + roleClass(item);
    const who = document.createElement('bdi');
    who.className = 'who';
    who.textContent = item.ParticipantId === state.participantId ? 'You' : plainText(item.DisplayName || '');
    const content = document.createElement('div');
    content.className = 'content';
    content.dir = 'auto';
    fillContent(content, item);
    li.append(who, content);
    if (item.ParticipantRole === 'AGENT') {
      $('typing').hidden = true;
    }
  } else {
    li.className = 'event';
    const name = document.createElement('bdi');
    name.textContent = plainText(item.DisplayName || '');
    const type = item.ContentType.slice(EVENT.length);
    if (type === 'participant.joined' && item.ParticipantRole === 'AGENT') {
      li.append(name, document.createTextNode(' joined the chat'));
    } else if (type === 'participant.left' && item.ParticipantRole === 'AGENT') {
      li.append(name, document.createTextNode(' left the chat'));
    } else if (type === 'chat.ended') {
      li.textContent = 'The chat has ended.';
      chatEnded();
    } else {
      return;
    }
  }
  $('messages').appendChild(li);
  li.scrollIntoView({ block: 'end' });
}

function roleClass(item) {
  if (item.ParticipantId === state.participantId) {
    return 'mine';
  }
  return item.ParticipantRole === 'SYSTEM' ? 'system' : 'theirs';
}

function fillContent(el, item) {
  const text = String(item.Content || '');
  if (item.ContentType === 'text/markdown') {
    el.appendChild(renderMarkdown(text));
    return;
  }
  if (item.ContentType === INTERACTIVE) {
    const menu = quickReply(text);
    if (menu) {
      const title = document.createElement('p');
      title.textContent = plainText(menu.title);
      const options = document.createElement('div');
      options.className = 'options';
      menu.options.forEach((o) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'option';
        b.textContent = plainText(o);
        b.addEventListener('click', () => {
          options.querySelectorAll('button').forEach((x) => { x.disabled = true; });
          send(o);
        });
        options.appendChild(b);
      });
      el.append(title, options);
      return;
    }
  }
  setText(el, text);
}

// quickReply reads a QuickReply interactive message: {title, options}, or null.
function quickReply(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const c = v && v.data && v.data.content;
  if (!v || v.templateType !== 'QuickReply' || !c || !Array.isArray(c.elements)) {
    return null;
  }
  const options = c.elements.map((e) => String((e && e.title) || '')).filter((t) => t !== '').slice(0, 10);
  return { title: String(c.title || ''), options };
}

function chatEnded() {
  if (state.ended) {
    return;
  }
  state.ended = true;
  clearInterval(state.heartbeat);
  $('message').disabled = true;
  $('send').disabled = true;
  $('end').disabled = true;
  setStatus('The chat has ended.');
  if (state.ws) {
    const ws = state.ws;
    state.ws = null;
    ws.close();
  }
}

// ---- sending ----

async function send(text) {
  const token = randomToken();
  for (let attempt = 0; attempt < 5 && !state.ended; attempt++) {
    try {
      // The same ClientToken on every attempt: a retry never stores the message twice.
      await call('message', state.connectionToken, { ContentType: 'text/plain', Content: text, ClientToken: token });
      return true;
    } catch (err) {
      if (err instanceof APIError && (err.status === 400 || err.status === 413)) {
        setStatus(err.message);
        return false;
      }
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }
  setStatus('Your message could not be sent.');
  return false;
}

$('send-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const box = $('message');
  const text = box.value;
  if (text.trim() === '') {
    return;
  }
  box.value = '';
  if (!(await send(text))) {
    box.value = text;
  }
});

$('message').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    $('send-form').requestSubmit();
  }
});

$('end').addEventListener('click', async () => {
  try {
    await call('disconnect', state.connectionToken, {});
  } catch {
    // The chat may have ended already.
  }
  chatEnded();
});
