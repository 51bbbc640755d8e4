// The agent workspace: status, offers (sound and countdown), contacts as tabs (chat, task),
// contact details, attributes and flow path, transfer (quick connects and queues to pick
// from), end, after-contact work and recent contacts.
// It talks to the agent API and, for chats, to the participant API; see the package README.
// Every string from the server reaches the page as text (text.js), never as HTML.

import { agent, agentEventsURL, APIError, signInURL } from './api.js';
import { ChatConnection, TYPING } from './chat.js';
import { link, renderMarkdown, safeURL } from './markdown.js';
import { appendText, make, plainText, setText } from './text.js';

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

const CHANNELS = { CHAT: 'Chat', TASK: 'Task', VOICE: 'Voice' };
const ACTIVITY = {
  AVAILABLE: 'Available: waiting for contacts',
  INCOMING: 'Incoming contact',
  ON_CONTACT: 'On contact',
  AFTER_CONTACT_WORK: 'After-contact work',
  MISSED: 'Missed a contact: choose a status to receive contacts again',
  OFFLINE: 'Offline',
};
// Contact states and disconnect reasons (Connect's contact record) as the agent reads them.
const STATES = {
  INITIATED: 'Started', IN_FLOW: 'In flow', QUEUED: 'Queued', OFFERED: 'Offered', CONNECTED: 'Connected',
  AFTER_CONTACT_WORK: 'After-contact work', ENDED: 'Ended', SCHEDULED: 'Scheduled',
};
const REASONS = {
  AGENT_DISCONNECT: 'Agent ended it', CUSTOMER_DISCONNECT: 'Customer left', CONTACT_FLOW_DISCONNECT: 'Flow ended it',
  API: 'Stopped by API', EXPIRED: 'Expired', OTHER: 'Other',
};
// Contact states in the order they follow each other for one offer.
const RANK = { OFFERED: 1, CONNECTED: 2, ACW: 3 };
const EVENT_TEXT = {
  'application/vnd.amazonaws.connect.event.participant.joined': 'joined the chat',
  'application/vnd.amazonaws.connect.event.participant.left': 'left the chat',
  'application/vnd.amazonaws.connect.event.chat.ended': 'The chat ended.',
  'application/vnd.amazonaws.connect.event.transfer.succeeded': 'The chat was transferred.',
  'application/vnd.amazonaws.connect.event.transfer.failed': 'The transfer failed.',
};
const CHAT_ENDED = 'application/vnd.amazonaws.connect.event.chat.ended';
const TYPING_SHOWN_MS = 12000;
const RETRY_MS = [1000, 2000, 5000, 10000, 30000];
const STORAGE_PREFIX = 'rf.workspace.participant.';

const state = {
  skew: 0, // server clock minus this clock, in ms
  contacts: new Map(), // contact ID → contact (see ensure)
  gone: new Map(), // contact ID → server time it left this page, so older snapshots cannot revive it
  selected: '',
  historyNext: '',
  historyTimer: 0,
  events: null,
  eventsRetry: 0,
  audio: null,
  statusValue: '',
  statusSeq: 0, // counts status changes made here, so an older GET /me cannot undo one
  noticeTimer: 0,
  // The quick connects and queues the agent may transfer to, read at most once a minute.
  destinations: { quickConnects: [], queues: [], loadedAt: 0, loading: null },
};

// ---- time ----

const serverNow = () => Date.now() + state.skew;

function learnServerTime(s) {
  const t = Date.parse(s);
  if (!Number.isNaN(t)) state.skew = t - Date.now();
}

function localTime(s) {
  const t = Date.parse(s ?? '');
  return Number.isNaN(t) ? '' : new Date(t).toLocaleString();
}

function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// ---- messages to the agent ----

function showError(e) {
  const msg = e instanceof Error ? e.message : String(e);
  setText($('alert'), msg);
  $('alert').hidden = false;
  if (e instanceof APIError && e.status === 403 && e.type === 'AccessDeniedException') {
    const a = document.createElement('a');
    a.href = signInURL();
    a.id = 'sign-in-link';
    a.textContent = 'Sign in';
    $('alert').append(' ', a);
  }
}

function clearError() {
  $('alert').hidden = true;
  $('alert').replaceChildren();
}

function notice(msg) {
  setText($('notice'), msg);
  $('notice').hidden = !msg;
  clearTimeout(state.noticeTimer);
  if (msg) state.noticeTimer = setTimeout(() => notice(''), 15000);
}

// ---- sound ----

// unlockAudio creates or resumes the AudioContext; browsers allow it only after a gesture,
// so every click and key press on the page calls it.
function unlockAudio() {
  if (!state.audio) {
    try {
      state.audio = new AudioContext();
    } catch {
      return;
    }
  }
  if (state.audio.state === 'suspended') state.audio.resume().catch(() => {});
  $('sound-hint').hidden = true;
}

// ring plays two short tones for a new offer.
function ring() {
  const ac = state.audio;
  if (!ac || ac.state !== 'running') {
    document.body.dataset.offerSound = 'blocked';
    $('sound-hint').hidden = false;
    return;
  }
  const t0 = ac.currentTime + 0.01;
  for (const [at, freq] of [[0, 880], [0.28, 660]]) {
    const osc = ac.createOscillator();
    const gain = ac.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t0 + at);
    gain.gain.exponentialRampToValueAtTime(0.25, t0 + at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.22);
    osc.connect(gain).connect(ac.destination);
    osc.start(t0 + at);
    osc.stop(t0 + at + 0.25);
  }
  document.body.dataset.offerSound = 'played';
  document.body.dataset.offerSounds = String(Number(document.body.dataset.offerSounds ?? '0') + 1);
}

// ---- status and routing ----

function showRouting(r) {
  const el = $('activity');
  el.dataset.activity = r?.Activity ?? '';
  if (!r) {
    setText(el, 'Choose a status to start');
    return;
  }
  let text = ACTIVITY[r.Activity] ?? r.Activity;
  if (r.Activity === 'CUSTOM') text = `${r.StatusName}: not receiving contacts`;
  setText(el, text);
}

async function loadStatuses() {
  const out = await agent('GET', '/statuses');
  const sel = $('status');
  const placeholder = new Option('Choose a status…', '');
  placeholder.disabled = true;
  sel.replaceChildren(placeholder);
  for (const s of out.AgentStatuses ?? []) {
    const o = new Option(s.Name, s.AgentStatusId);
    o.dataset.type = s.Type;
    sel.append(o);
  }
  sel.value = state.statusValue;
  sel.disabled = false;
}

async function setStatus(id) {
  const sel = $('status');
  state.statusSeq++;
  clearError();
  try {
    const out = await agent('PUT', '/status', { AgentStatusId: id });
    state.statusValue = id;
    showRouting(out.Routing);
    notice('');
  } catch (e) {
    sel.value = state.statusValue;
    showError(e);
  }
}

async function refreshMe() {
  const seq = state.statusSeq;
  const me = await agent('GET', '/me');
  learnServerTime(me.ServerTime);
  setText($('agent-name'), me.Username ?? '');
  if (seq === state.statusSeq) {
    state.statusValue = me.Status?.AgentStatusId ?? '';
    const sel = $('status');
    if ([...sel.options].some((o) => o.value === state.statusValue)) sel.value = state.statusValue;
    showRouting(me.Routing);
  }
  const at = Date.parse(me.ServerTime);
  for (const o of me.Offers ?? []) {
    const c = ensure(o.ContactId, o.Channel);
    if (o.ExpiresAt) c.expiresAt = Date.parse(o.ExpiresAt);
    if (o.QueueId) c.queueId = o.QueueId;
  }
  applyHeld(me.Contacts ?? [], me.AfterContactWork ?? [], at);
}

// ---- the agent's contacts ----

function ensure(id, channel) {
  let c = state.contacts.get(id);
  if (!c) {
    c = {
      id, channel: channel ?? '', state: '', rank: 0, offerId: '', queueId: '', expiresAt: NaN, acwUntil: NaN,
      touched: 0, detail: null, detailLoading: false, flowPathAsked: false, participant: null, accepting: false, chat: null, chatOver: false,
      items: new Set(), customerName: '', unread: 0, typingTimer: 0, offerEl: null, tab: null, panel: null,
    };
    state.contacts.set(id, c);
  } else if (channel && !c.channel) {
    c.channel = channel;
  }
  return c;
}

// applyHeld reconciles the contacts with a snapshot of the router's view made at server
// time `at` (GET /me or AgentStateChanged). A snapshot only moves a contact forward
// (offered → connected → after-contact work) unless it is a new offer, and it removes only
// contacts nothing newer than it has mentioned.
function applyHeld(held, acw, at) {
  const seen = new Set();
  const stale = (id) => state.gone.has(id) && !(at > state.gone.get(id));
  for (const h of held) {
    if (stale(h.ContactId)) continue;
    const c = ensure(h.ContactId, h.Channel);
    seen.add(c.id);
    if (h.State === 'OFFERED') {
      if (c.rank <= RANK.OFFERED || (h.OfferId && h.OfferId !== c.offerId)) {
        if (h.OfferId) c.offerId = h.OfferId;
        setOffered(c);
      }
    } else if (c.rank <= RANK.CONNECTED) {
      if (h.OfferId) c.offerId = h.OfferId;
      setConnected(c);
    }
    c.touched = Math.max(c.touched, at || 0);
  }
  for (const a of acw) {
    if (stale(a.ContactId)) continue;
    const c = ensure(a.ContactId, a.Channel);
    seen.add(c.id);
    setACW(c, Date.parse(a.Until));
    c.touched = Math.max(c.touched, at || 0);
  }
  for (const c of [...state.contacts.values()]) {
    if (!seen.has(c.id) && (Number.isNaN(at) || c.touched < at)) removeContact(c);
  }
}

function describe(c) {
  const d = c.detail;
  const parts = [CHANNELS[c.channel] ?? c.channel ?? 'Contact'];
  if (d?.Name) parts.push(d.Name);
  else if (c.customerName) parts.push(c.customerName);
  const queue = d?.QueueName || d?.QueueId || c.queueId;
  if (queue) parts.push(`queue ${queue}`);
  return parts.join(' · ');
}

function setOffered(c) {
  c.state = 'OFFERED';
  c.rank = RANK.OFFERED;
  if (!c.offerEl) {
    const el = $('offer-template').content.firstElementChild.cloneNode(true);
    el.dataset.contact = c.id;
    el.querySelector('.accept').addEventListener('click', () => accept(c));
    el.querySelector('.reject').addEventListener('click', () => reject(c));
    $('offers').append(el);
    c.offerEl = el;
    ring();
    loadDetail(c);
  }
  c.offerEl.dataset.offer = c.offerId;
  setText(c.offerEl.querySelector('.offer-what'), describe(c));
  tick();
  updateChrome();
}

function dropOffer(c) {
  c.offerEl?.remove();
  c.offerEl = null;
}

async function accept(c) {
  unlockAudio();
  clearError();
  const buttons = c.offerEl ? [...c.offerEl.querySelectorAll('button')] : [];
  buttons.forEach((b) => (b.disabled = true));
  c.accepting = true;
  try {
    const out = await agent('POST', `/offers/${enc(c.offerId)}/accept`);
    c.accepting = false;
    c.touched = serverNow();
    const p = out.Participant;
    if (p?.ParticipantToken) {
      c.participant = { id: p.ParticipantId, token: p.ParticipantToken };
      remember(c);
    }
    setConnected(c);
    select(c.id);
  } catch (e) {
    c.accepting = false;
    showError(e);
    buttons.forEach((b) => (b.disabled = false));
    if (e instanceof APIError && e.status === 404) removeContact(c);
    else startChat(c);
  }
}

async function reject(c) {
  clearError();
  try {
    await agent('POST', `/offers/${enc(c.offerId)}/reject`);
    removeContact(c);
    notice('Offer rejected. Choose a status to receive contacts again.');
  } catch (e) {
    showError(e);
    if (e instanceof APIError && e.status === 404) removeContact(c);
  }
}

function setConnected(c) {
  const fresh = c.state !== 'CONNECTED';
  c.state = 'CONNECTED';
  c.rank = RANK.CONNECTED;
  dropOffer(c);
  ensurePanel(c);
  renderState(c);
  if (fresh) loadDetail(c);
  startChat(c);
  if (!state.selected) select(c.id);
  updateChrome();
}

function setACW(c, until) {
  const fresh = c.state !== 'ACW';
  c.acwUntil = until;
  c.state = 'ACW';
  c.rank = RANK.ACW;
  dropOffer(c);
  ensurePanel(c);
  // A chat in wrap-up has ended (or the agent left it): there is nothing to connect to.
  if (c.channel === 'CHAT' && !c.chat && !c.chatOver) chatOver(c);
  renderState(c);
  if (fresh) loadDetail(c);
  if (!state.selected) select(c.id);
  tick();
  updateChrome();
}

function removeContact(c) {
  clearTimeout(c.typingTimer);
  c.chat?.stop();
  dropOffer(c);
  c.tab?.remove();
  c.panel?.remove();
  forget(c.id);
  state.contacts.delete(c.id);
  const now = serverNow();
  state.gone.set(c.id, now);
  for (const [id, t] of state.gone) if (now - t > 600000) state.gone.delete(id);
  if (state.selected === c.id) {
    state.selected = '';
    const next = [...state.contacts.values()].find((x) => x.panel);
    if (next) select(next.id);
  }
  updateChrome();
  scheduleHistory();
}

// The participant token of an accepted chat is kept in this tab's sessionStorage so that a
// reload can reconnect; it is removed when the contact leaves the agent.
function remember(c) {
  try {
    sessionStorage.setItem(STORAGE_PREFIX + c.id, JSON.stringify(c.participant));
  } catch {
    // storage unavailable: the chat works until the page is reloaded
  }
}

function recall(id) {
  try {
    const p = JSON.parse(sessionStorage.getItem(STORAGE_PREFIX + id) ?? 'null');
    return p && typeof p.token === 'string' ? p : null;
  } catch {
    return null;
  }
}

function forget(id) {
  try {
    sessionStorage.removeItem(STORAGE_PREFIX + id);
  } catch {
    // nothing stored
  }
}

// ---- tabs and panels ----

function ensurePanel(c) {
  if (c.panel) return;
  const tab = $('tab-template').content.firstElementChild.cloneNode(true);
  tab.dataset.contact = c.id;
  tab.id = `tab-${c.id}`;
  tab.addEventListener('click', () => select(c.id));
  const panel = $('panel-template').content.firstElementChild.cloneNode(true);
  panel.dataset.contact = c.id;
  panel.id = `panel-${c.id}`;
  panel.setAttribute('aria-labelledby', tab.id);
  tab.setAttribute('aria-controls', panel.id);
  c.tab = tab;
  c.panel = panel;
  const q = (s) => panel.querySelector(s);
  q('.chat').hidden = c.channel !== 'CHAT';
  q('.end').addEventListener('click', () => endContact(c));
  q('.complete').addEventListener('click', () => completeACW(c));
  q('.transfer').addEventListener('submit', (ev) => {
    ev.preventDefault();
    transfer(c, ev.target);
  });
  q('.transfer-destination').addEventListener('focus', () => loadDestinations(false).catch(showError));
  fillDestinations(c);
  const form = q('.reply');
  const ta = form.elements.reply;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    sendReply(c, form);
  });
  ta.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  ta.addEventListener('input', () => {
    if (ta.value.trim()) c.chat?.typing();
  });
  if (c.channel === 'VOICE') setText(q('.chat-status'), 'Voice contacts cannot be handled in this workspace yet.');
  $('tabs').append(tab);
  $('panels').append(panel);
  renderTitle(c);
}

function select(id) {
  state.selected = id;
  for (const c of state.contacts.values()) {
    if (!c.tab) continue;
    const on = c.id === id;
    c.tab.setAttribute('aria-selected', on ? 'true' : 'false');
    c.tab.tabIndex = on ? 0 : -1;
    c.panel.hidden = !on;
    if (on) {
      c.unread = 0;
      renderState(c);
    }
  }
}

function renderTitle(c) {
  if (!c.panel) return;
  const d = c.detail;
  const name = d?.Name || c.customerName || `${CHANNELS[c.channel] ?? 'Contact'} ${c.id.slice(0, 8)}`;
  setText(c.panel.querySelector('.contact-title'), name);
  setText(c.tab.querySelector('.tab-name'), name);
  setText(c.tab.querySelector('.tab-channel'), CHANNELS[c.channel] ?? c.channel);
}

function renderState(c) {
  if (!c.panel) return;
  const q = (s) => c.panel.querySelector(s);
  const connected = c.state === 'CONNECTED';
  c.panel.dataset.state = c.state;
  c.tab.dataset.state = c.state;
  setText(q('.contact-state'), connected ? 'Connected' : c.state === 'ACW' ? 'After-contact work' : c.state);
  q('.end').hidden = !connected;
  q('.acw').hidden = c.state !== 'ACW';
  for (const el of q('.transfer').elements) el.disabled = !connected;
  const live = connected && c.chat && !c.chatOver;
  for (const el of q('.reply').elements) el.disabled = !live;
  let badge = c.unread > 0 ? `${c.unread} new` : '';
  if (c.state === 'ACW') badge = `ACW ${clock(c.acwUntil - serverNow())}`;
  setText(c.tab.querySelector('.tab-badge'), badge);
}

function updateChrome() {
  const offers = [...state.contacts.values()].filter((c) => c.state === 'OFFERED').length;
  document.title = (offers > 0 ? `(${offers}) Incoming contact · ` : '') + 'Agent workspace · Ringfence';
  $('idle').hidden = [...state.contacts.values()].some((c) => c.panel);
}

// tick updates the countdowns: offers against ExpiresAt, after-contact work against Until,
// both compared with the server's clock. An offer well past its expiry goes (the server
// has withdrawn it).
function tick() {
  const now = serverNow();
  for (const c of [...state.contacts.values()]) {
    if (c.state === 'OFFERED' && c.offerEl) {
      const el = c.offerEl.querySelector('.offer-countdown');
      if (Number.isNaN(c.expiresAt)) {
        el.textContent = 'a few seconds';
      } else {
        const left = Math.max(0, Math.ceil((c.expiresAt - now) / 1000));
        el.textContent = `${left} s`;
        el.dataset.seconds = String(left);
        if (c.expiresAt - now < -5000) removeContact(c);
      }
    } else if (c.state === 'ACW' && c.panel) {
      const el = c.panel.querySelector('.acw-countdown');
      el.textContent = Number.isNaN(c.acwUntil) ? 'a while' : clock(c.acwUntil - now);
      // A wrap-up that ends on its own is ended by the server, whose AgentStateChanged
      // removes the contact.
      renderState(c);
    }
  }
}

// ---- contact details ----

async function loadDetail(c) {
  if (c.detailLoading) return;
  c.detailLoading = true;
  try {
    c.detail = await agent('GET', `/contacts/${enc(c.id)}`);
    renderDetail(c);
    if (c.panel && !c.flowPathAsked) await loadFlowPath(c);
  } catch (e) {
    if (!(e instanceof APIError && e.status === 404)) showError(e);
  } finally {
    c.detailLoading = false;
  }
}

function fact(dl, name, value) {
  if (!value) return;
  dl.append(make('dt', '', name), make('dd', '', value));
}

function renderDetail(c) {
  const d = c.detail;
  if (c.offerEl) setText(c.offerEl.querySelector('.offer-what'), describe(c));
  if (!c.panel || !d) return;
  renderTitle(c);
  const q = (s) => c.panel.querySelector(s);
  const facts = q('.contact-facts');
  facts.replaceChildren();
  fact(facts, 'Contact ID', d.ContactId);
  fact(facts, 'Channel', CHANNELS[d.Channel] ?? d.Channel);
  fact(facts, 'Initiated by', d.InitiationMethod);
  fact(facts, 'Queue', d.QueueName || d.QueueId);
  fact(facts, 'Started', localTime(d.InitiationTimestamp));
  fact(facts, 'Connected', localTime(d.ConnectedToAgentTimestamp));
  fact(facts, 'Customer', d.CustomerEndpoint?.Address);
  fact(facts, 'Ended', localTime(d.DisconnectTimestamp));
  fact(facts, 'End reason', REASONS[d.DisconnectReason] ?? d.DisconnectReason);
  const attrs = q('.contact-attributes');
  attrs.replaceChildren();
  const keys = Object.keys(d.Attributes ?? {}).sort();
  for (const k of keys) {
    const dt = make('dt', 'attribute-name', k);
    const dd = make('dd', 'attribute-value', d.Attributes[k]);
    dd.dataset.attribute = k;
    attrs.append(dt, dd);
  }
  q('.no-attributes').hidden = keys.length > 0;
  const task = q('.task');
  task.hidden = d.Channel !== 'TASK';
  if (d.Channel === 'TASK') {
    setText(q('.task-name'), d.Name ?? '');
    setText(q('.task-description'), d.Description ?? '');
    const refs = q('.task-references');
    refs.replaceChildren();
    for (const name of Object.keys(d.References ?? {}).sort()) {
      const r = d.References[name] ?? {};
      const li = make('li', 'reference', `${name}: `);
      li.dataset.reference = name;
      const href = r.Type === 'URL' ? safeURL(r.Value) : null;
      if (href) li.append(link(href, r.Value));
      else appendText(li, r.Value ?? '');
      refs.append(li);
    }
    if (refs.children.length === 0) refs.append(make('li', 'hint', 'None'));
  }
}

// ---- chat ----

function myParticipantId(c) {
  return c.participant?.id ?? '';
}

function startChat(c) {
  // While this page accepts the offer, the participant token is on its way.
  if (c.channel !== 'CHAT' || c.chat || c.chatOver || c.accepting || !c.panel) return;
  const status = c.panel.querySelector('.chat-status');
  c.participant = c.participant ?? recall(c.id);
  if (!c.participant) {
    setText(status, 'This chat was accepted in another window; its messages are not available here. You can still transfer or end it.');
    return;
  }
  c.chat = new ChatConnection({
    participantToken: c.participant.token,
    onItem: (it) => chatItem(c, it),
    onState: (text) => setText(status, text),
    onEnded: () => chatOver(c),
  });
  renderState(c);
  c.chat.start().catch((e) => {
    if (e instanceof APIError && e.status === 403) chatOver(c);
    else setText(status, `The chat could not be opened: ${e.message}`);
  });
}

function chatOver(c) {
  c.chatOver = true;
  hideTyping(c);
  if (c.panel) setText(c.panel.querySelector('.chat-status'), 'The chat is over.');
  renderState(c);
}

function showTyping(c, name) {
  if (!c.panel) return;
  const el = c.panel.querySelector('.typing');
  setText(el, `${name || 'The customer'} is typing…`);
  el.hidden = false;
  clearTimeout(c.typingTimer);
  c.typingTimer = setTimeout(() => hideTyping(c), TYPING_SHOWN_MS);
}

function hideTyping(c) {
  clearTimeout(c.typingTimer);
  const el = c.panel?.querySelector('.typing');
  if (el) el.hidden = true;
}

function roleName(role) {
  return role === 'CUSTOMER' ? 'Customer' : role === 'AGENT' ? 'Agent' : 'System';
}

function chatItem(c, it) {
  if (!it || typeof it !== 'object' || !c.panel) return;
  const mine = it.ParticipantId && it.ParticipantId === myParticipantId(c);
  if (it.ContentType === TYPING) {
    if (!mine) showTyping(c, it.DisplayName);
    return;
  }
  if (typeof it.Id !== 'string' || c.items.has(it.Id)) return;
  c.items.add(it.Id);
  if (it.ParticipantRole === 'CUSTOMER' && it.DisplayName && !c.customerName) {
    c.customerName = it.DisplayName;
    renderTitle(c);
  }
  const li = renderItem(it, mine);
  if (!li) return;
  const list = c.panel.querySelector('.transcript');
  let after = list.lastElementChild;
  while (after && (after.dataset.time ?? '') > (it.AbsoluteTime ?? '')) after = after.previousElementSibling;
  if (after) after.after(li);
  else list.prepend(li);
  list.scrollTop = list.scrollHeight;
  if (it.Type === 'MESSAGE' && !mine) {
    hideTyping(c);
    if (state.selected !== c.id) {
      c.unread++;
      renderState(c);
    }
  }
  if (it.ContentType === CHAT_ENDED) chatOver(c);
}

function renderItem(it, mine) {
  const li = make('li', 'item');
  li.dataset.id = it.Id;
  li.dataset.time = it.AbsoluteTime ?? '';
  const who = mine ? 'You' : it.ParticipantRole === 'SYSTEM' ? 'System' : it.DisplayName || roleName(it.ParticipantRole);
  if (it.Type === 'MESSAGE') {
    li.classList.add('message', `role-${String(it.ParticipantRole ?? '').toLowerCase()}`);
    if (mine) li.classList.add('mine');
    const meta = make('div', 'meta');
    meta.append(make('span', 'who', who));
    const when = make('time', 'when', localTime(it.AbsoluteTime));
    when.dateTime = it.AbsoluteTime ?? '';
    meta.append(' ', when);
    const body = make('div', 'body');
    body.dir = 'auto';
    body.dataset.contentType = it.ContentType ?? '';
    if (it.ContentType === 'text/markdown') body.append(renderMarkdown(it.Content ?? ''));
    else if (it.ContentType === 'text/plain') appendText(body, it.Content ?? '');
    else appendText(body, `(${it.ContentType}) ${it.Content ?? ''}`);
    li.append(meta, body);
    return li;
  }
  if (it.Type === 'EVENT') {
    const text = EVENT_TEXT[it.ContentType];
    if (!text) return null;
    li.classList.add('event');
    if (it.ContentType.endsWith('.joined') || it.ContentType.endsWith('.left')) appendText(li, `${who} ${text}`);
    else appendText(li, text);
    return li;
  }
  if (it.Type === 'ATTACHMENT') {
    li.classList.add('event');
    appendText(li, `${who} sent an attachment (attachments are not shown in the workspace).`);
    return li;
  }
  return null;
}

async function sendReply(c, form) {
  const ta = form.elements.reply;
  const text = ta.value.trim();
  if (!text || !c.chat || c.chatOver) return;
  if ([...text].length > 1024) {
    showError('A message is at most 1,024 characters.');
    return;
  }
  clearError();
  const button = form.querySelector('.send');
  button.disabled = true;
  try {
    await c.chat.send(text);
    ta.value = '';
  } catch (e) {
    showError(e);
  } finally {
    button.disabled = false;
    ta.focus();
  }
}

// ---- actions on a contact ----

async function endContact(c) {
  clearError();
  const button = c.panel.querySelector('.end');
  button.disabled = true;
  try {
    const out = await agent('POST', `/contacts/${enc(c.id)}/end`);
    c.touched = serverNow();
    setACW(c, Date.parse(out.AfterContactWorkUntil ?? ''));
  } catch (e) {
    showError(e);
  } finally {
    button.disabled = false;
  }
}

async function completeACW(c) {
  clearError();
  const button = c.panel.querySelector('.complete');
  button.disabled = true;
  try {
    await agent('POST', `/contacts/${enc(c.id)}/acw/complete`);
    removeContact(c);
  } catch (e) {
    showError(e);
    button.disabled = false;
    if (e instanceof APIError && e.status === 404) removeContact(c);
  }
}

// transfer sends the contact where the picker points, or to the ID typed below it. The
// AgentStateChanged that follows moves the contact to after-contact work.
async function transfer(c, form) {
  const picked = form.elements.destination.selectedOptions[0];
  let kind, target, label;
  if (picked?.value) {
    const at = picked.value.indexOf(':');
    kind = picked.value.slice(0, at);
    target = picked.value.slice(at + 1);
    label = picked.dataset.name ?? target;
  } else {
    kind = form.elements.kind.value === 'QuickConnectId' ? 'QuickConnectId' : 'QueueId';
    target = form.elements.target.value.trim();
    label = target;
  }
  if (!target || (kind !== 'QueueId' && kind !== 'QuickConnectId')) {
    showError('Choose a quick connect or queue, or type an ID.');
    return;
  }
  clearError();
  try {
    await agent('POST', `/contacts/${enc(c.id)}/transfer`, { [kind]: target });
    form.reset();
    notice(`Transferred to ${label}.`);
    // The agent leaves the chat; the customer stays and waits in the new queue.
    await c.chat?.leave().catch(() => {});
  } catch (e) {
    showError(e);
  }
}

// ---- transfer destinations ----

const QC_KINDS = { QUEUE: 'queue', USER: 'agent', FLOW: 'flow' };

// loadDestinations reads the quick connects and queues the agent may transfer to (at most
// once a minute unless forced) and refills every contact's picker.
function loadDestinations(force) {
  const d = state.destinations;
  if (d.loading) return d.loading;
  if (!force && Date.now() - d.loadedAt < 60000) return Promise.resolve();
  d.loading = Promise.all([agent('GET', '/quick-connects'), agent('GET', '/transfer-queues')])
    .then(([qc, qs]) => {
      d.quickConnects = qc.QuickConnects ?? [];
      d.queues = qs.Queues ?? [];
      d.loadedAt = Date.now();
      for (const c of state.contacts.values()) fillDestinations(c);
    })
    .finally(() => {
      d.loading = null;
    });
  return d.loading;
}

function destinationOption(name, kind, value, description) {
  const o = new Option(plainText(kind ? `${name} (${kind})` : name), value);
  o.dataset.name = plainText(name);
  if (description) o.title = plainText(description);
  return o;
}

// fillDestinations puts the known destinations in c's picker, keeping the choice made.
function fillDestinations(c) {
  if (!c.panel) return;
  const sel = c.panel.querySelector('.transfer-destination');
  const keep = sel.value;
  const d = state.destinations;
  sel.querySelector('.quick-connects').replaceChildren(
    ...d.quickConnects.map((q) => destinationOption(q.Name, QC_KINDS[q.QuickConnectType] ?? '', `QuickConnectId:${q.QuickConnectId}`, q.Description)),
  );
  sel.querySelector('.transfer-queues').replaceChildren(...d.queues.map((q) => destinationOption(q.Name, '', `QueueId:${q.QueueId}`)));
  sel.dataset.loaded = d.loadedAt ? 'true' : 'false';
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
}

// ---- flow path ----

// branchText says which way a block went: "next", "condition 2", "error NoMatchingError",
// "waited for input", "ended: queued", "to flow …".
function branchText(b) {
  if (!b) return '';
  const at = b.indexOf(':');
  const kind = at < 0 ? b : b.slice(0, at);
  const rest = at < 0 ? '' : b.slice(at + 1).replaceAll('_', ' ');
  switch (kind) {
    case 'NextAction':
      return 'next';
    case 'Condition':
      return `condition ${rest}`;
    case 'Error':
      return `error ${rest}`;
    case 'Wait':
      return `waited for ${rest}`;
    case 'End':
      return `ended: ${rest}`;
    case 'Flow':
      return `to flow ${rest}`;
    case 'Module':
      return `into module ${rest}`;
    case 'Return':
      return `back to flow ${rest}`;
    default:
      return b;
  }
}

// loadFlowPath shows the blocks the contact's flows ran (the first 200), once per contact:
// the path is complete by the time an agent has the contact.
async function loadFlowPath(c) {
  if (c.flowPathAsked || !state.contacts.has(c.id)) return;
  c.flowPathAsked = true;
  let out;
  try {
    out = await agent('GET', `/contacts/${enc(c.id)}/flow-path?MaxResults=200`);
  } catch (e) {
    if (!(e instanceof APIError && e.status === 404)) showError(e);
    return;
  }
  if (!c.panel) return;
  const list = c.panel.querySelector('.flow-path');
  list.replaceChildren();
  let flow = '';
  for (const b of out.FlowPath ?? []) {
    const li = make('li', 'block');
    li.dataset.identifier = b.Identifier ?? '';
    li.dataset.branch = b.Branch ?? '';
    const name = b.ContactFlowName || b.ContactFlowId || '';
    if (name !== flow) {
      flow = name;
      li.append(make('span', 'block-flow', `${name}: `));
    }
    li.append(make('span', 'block-id', b.Identifier ?? ''), ' ', make('span', 'block-type', b.Type ?? ''));
    if (b.Branch) li.append(' → ', make('span', 'block-branch', branchText(b.Branch)));
    const t = Date.parse(b.Timestamp ?? '');
    if (!Number.isNaN(t)) {
      const when = make('time', 'block-time', ` ${new Date(t).toLocaleTimeString()}`);
      when.dateTime = b.Timestamp;
      li.append(when);
    }
    list.append(li);
  }
  c.panel.querySelector('.no-flow-path').hidden = list.children.length > 0;
  c.panel.querySelector('.more-flow-path').hidden = !out.NextToken;
  c.panel.dataset.flowPath = 'loaded';
}

// ---- recent contacts ----

function scheduleHistory() {
  clearTimeout(state.historyTimer);
  state.historyTimer = setTimeout(() => loadHistory(false).catch(showError), 300);
}

async function loadHistory(more) {
  const q = new URLSearchParams({ MaxResults: '20' });
  if (more && state.historyNext) q.set('NextToken', state.historyNext);
  const out = await agent('GET', `/history?${q}`);
  const rows = $('history-rows');
  if (!more) rows.replaceChildren();
  for (const h of out.Contacts ?? []) {
    const tr = document.createElement('tr');
    tr.dataset.contact = h.ContactId;
    let st = STATES[h.State] ?? h.State ?? '';
    if (h.TransferredAway) {
      // The contact went on without this agent: say so, and where it is now.
      tr.dataset.transferred = 'true';
      st = `Transferred (now ${st.toLowerCase()})`;
    }
    const cells = [
      localTime(h.InitiationTimestamp), CHANNELS[h.Channel] ?? h.Channel, h.Name || h.ContactId, h.QueueId ?? '',
      st, localTime(h.DisconnectTimestamp), REASONS[h.DisconnectReason] ?? h.DisconnectReason ?? '',
    ];
    for (const v of cells) tr.append(make('td', '', v));
    rows.append(tr);
  }
  state.historyNext = out.NextToken ?? '';
  $('history-more').hidden = !state.historyNext;
  $('history-empty').hidden = rows.children.length > 0;
}

// ---- the agent API's events ----

function connectEvents() {
  let ws;
  try {
    ws = new WebSocket(agentEventsURL());
  } catch (e) {
    showError(e);
    return;
  }
  state.events = ws;
  let beat = 0;
  ws.addEventListener('open', () => {
    state.eventsRetry = 0;
    setText($('connection'), '');
    beat = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"type":"Heartbeat"}'), 30000);
    // Events are not replayed: read the state afresh after every (re)connect.
    refreshMe().catch(showError);
  });
  ws.addEventListener('message', (ev) => {
    let m;
    try {
      m = JSON.parse(ev.data);
    } catch {
      return;
    }
    onEvent(m);
  });
  ws.addEventListener('close', (ev) => {
    clearInterval(beat);
    if (state.events !== ws) return;
    state.events = null;
    if (ev.code === 1008) {
      location.assign(signInURL());
      return;
    }
    const wait = RETRY_MS[Math.min(state.eventsRetry++, RETRY_MS.length - 1)];
    setText($('connection'), 'The connection to the contact center was lost; reconnecting…');
    setTimeout(connectEvents, wait);
  });
}

function onEvent(m) {
  if (m.ServerTime) learnServerTime(m.ServerTime);
  const at = Date.parse(m.At ?? m.ServerTime ?? '');
  const known = state.contacts.get(m.ContactId);
  switch (m.type) {
    case 'OfferMade': {
      const c = ensure(m.ContactId, m.Channel);
      c.offerId = m.OfferId;
      if (m.QueueId) c.queueId = m.QueueId;
      c.expiresAt = Date.parse(m.ExpiresAt ?? '');
      c.touched = Math.max(c.touched, at || 0);
      setOffered(c);
      break;
    }
    case 'OfferAccepted':
    case 'ContactConnected': {
      const c = known ?? ensure(m.ContactId, m.Channel);
      c.touched = Math.max(c.touched, at || 0);
      if (c.rank <= RANK.CONNECTED) setConnected(c);
      break;
    }
    case 'OfferRejected':
    case 'OfferWithdrawn':
    case 'OfferExpired':
      if (known && known.state === 'OFFERED' && (!m.OfferId || known.offerId === m.OfferId)) removeContact(known);
      if (m.type === 'OfferExpired') notice('An offer expired before it was answered. Choose a status to receive contacts again.');
      break;
    case 'ContactEnded':
      // The contact left the router (the customer left, it was stopped): the
      // AgentStateChanged that follows says whether after-contact work follows.
      break;
    case 'AgentStateChanged':
      // Sent whenever the agent's activity or the lists of its contacts and wrap-ups change
      // (a transfer, a customer who left, a wrap-up that timed out): the lists are the truth.
      if (m.Agent) {
        showRouting(m.Agent);
        applyHeld(m.Agent.Contacts ?? [], m.Agent.AfterContactWork ?? [], at);
      }
      break;
    case 'Error':
      showError(m.Message ?? 'The contact center reported an error.');
      break;
    default:
    // Hello, Heartbeat: nothing to do.
  }
}

// ---- start ----

async function main() {
  document.addEventListener('pointerdown', unlockAudio, { capture: true });
  document.addEventListener('keydown', unlockAudio, { capture: true });
  $('status').addEventListener('change', (ev) => {
    const id = ev.target.value;
    if (id) setStatus(id);
  });
  $('history-refresh').addEventListener('click', () => loadHistory(false).catch(showError));
  $('history-more').addEventListener('click', () => loadHistory(true).catch(showError));
  setInterval(tick, 250);
  // A safety net for anything the events did not say.
  setInterval(() => state.events && refreshMe().catch(() => {}), 60000);
  updateChrome();
  try {
    await refreshMe();
    await loadStatuses();
    await loadHistory(false);
    await loadDestinations(true);
  } catch (e) {
    showError(e);
    if (e instanceof APIError && e.status === 403) return;
  }
  connectEvents();
  document.body.dataset.ready = 'true';
}

main();
