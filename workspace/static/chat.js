// The agent's side of one chat, through Amazon Connect's participant API only: the
// participant token from accepting the offer opens a connection (CreateParticipantConnection),
// the WebSocket carries the chat's items (aws/subscribe, aws/chat, aws/heartbeat), the
// transcript (GetTranscript) fills what the socket did not carry, and messages, typing
// events and leaving go through SendMessage, SendEvent and DisconnectParticipant.

import { participant, sameOriginSocketURL } from './api.js';

export const TYPING = 'application/vnd.amazonaws.connect.event.typing';

// How often the socket beats (chatjs beats every 10 s; the server closes a socket silent
// for 90 s), the least time between two typing events we send, and the reconnect backoff.
const HEARTBEAT_MS = 10000;
const TYPING_EVERY_MS = 5000;
const RETRY_MS = [1000, 2000, 5000, 10000, 30000];

export class ChatConnection {
  // participantToken: the AGENT participant's token. onItem(item) receives every transcript
  // item (possibly twice: callers deduplicate by Id); onState(text) connection news;
  // onEnded() is called once when the chat ended or the participant left.
  constructor({ participantToken, onItem, onState, onEnded }) {
    this.participantToken = participantToken;
    this.onItem = onItem;
    this.onState = onState ?? (() => {});
    this.onEnded = onEnded ?? (() => {});
    this.connectionToken = '';
    this.ws = null;
    this.stopped = false;
    this.ended = false;
    this.retries = 0;
    this.lastTyping = 0;
    this.beat = null;
  }

  // start connects, loads the transcript and opens the socket.
  async start() {
    const out = await participant('/connection', this.participantToken, {
      Type: ['WEBSOCKET', 'CONNECTION_CREDENTIALS'],
      ConnectParticipant: true,
    });
    this.connectionToken = out.ConnectionCredentials?.ConnectionToken ?? '';
    if (!this.connectionToken) throw new Error('The chat gave no connection token.');
    this.open(out.Websocket?.Url ?? '');
    await this.loadTranscript();
  }

  // loadTranscript pages through the whole transcript, oldest first.
  async loadTranscript() {
    let next = '';
    for (let page = 0; page < 100; page++) {
      const body = { MaxResults: 100, ScanDirection: 'FORWARD', SortOrder: 'ASCENDING' };
      if (next) body.NextToken = next;
      const out = await participant('/transcript', this.connectionToken, body);
      for (const it of out.Transcript ?? []) this.onItem(it);
      next = out.NextToken ?? '';
      if (!next) return;
    }
  }

  open(rawURL) {
    const url = sameOriginSocketURL(rawURL);
    if (!url) {
      this.onState('The chat socket is on another host, which this page may not reach; messages arrive only on reload.');
      return;
    }
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.addEventListener('open', () => {
      ws.send(JSON.stringify({ topic: 'aws/subscribe', content: { topics: ['aws/chat'] } }));
      clearInterval(this.beat);
      this.beat = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ topic: 'aws/heartbeat' }));
      }, HEARTBEAT_MS);
    });
    ws.addEventListener('message', (ev) => this.frame(ev.data));
    ws.addEventListener('close', (ev) => {
      clearInterval(this.beat);
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped || this.ended) return;
      if (ev.reason === 'chat ended' || ev.reason === 'participant left') {
        this.finish();
        return;
      }
      this.reconnect();
    });
  }

  frame(data) {
    let f;
    try {
      f = JSON.parse(data);
    } catch {
      return;
    }
    if (f.topic === 'aws/subscribe') {
      if (f.content?.status === 'success') {
        this.retries = 0;
        this.onState('');
      } else {
        this.onState('The chat could not be subscribed to.');
      }
      return;
    }
    if (f.topic !== 'aws/chat' || typeof f.content !== 'string') return;
    let item;
    try {
      item = JSON.parse(f.content);
    } catch {
      return;
    }
    this.onItem(item);
  }

  // reconnect asks for a new socket URL (the old one may have expired), then catches up
  // with the transcript.
  async reconnect() {
    const wait = RETRY_MS[Math.min(this.retries, RETRY_MS.length - 1)];
    this.retries++;
    this.onState('Chat connection lost; reconnecting…');
    await new Promise((r) => setTimeout(r, wait));
    if (this.stopped || this.ended) return;
    try {
      const out = await participant('/connection', this.participantToken, { Type: ['WEBSOCKET'] });
      this.open(out.Websocket?.Url ?? '');
      await this.loadTranscript();
    } catch (e) {
      if (e.status === 403) {
        // The participant token no longer opens this chat: it ended or we left.
        this.finish();
        return;
      }
      this.reconnect();
    }
  }

  finish() {
    if (this.ended) return;
    this.ended = true;
    this.stop();
    this.onEnded();
  }

  // send sends a text message; it resolves with {Id, AbsoluteTime}.
  send(text) {
    return participant('/message', this.connectionToken, {
      ContentType: 'text/plain',
      Content: text,
      ClientToken: crypto.randomUUID(),
    });
  }

  // typing tells the others the agent is typing, at most once per TYPING_EVERY_MS.
  typing() {
    const now = Date.now();
    if (this.ended || !this.connectionToken || now - this.lastTyping < TYPING_EVERY_MS) return;
    this.lastTyping = now;
    participant('/event', this.connectionToken, { ContentType: TYPING, ClientToken: crypto.randomUUID() }).catch(() => {
      // a lost typing event is harmless
    });
  }

  // leave takes the agent out of the chat (after a transfer); the customer stays.
  async leave() {
    if (this.ended || !this.connectionToken) return;
    try {
      await participant('/disconnect', this.connectionToken, { ClientToken: crypto.randomUUID() });
    } finally {
      this.finish();
    }
  }

  // stop closes the socket and stops reconnecting.
  stop() {
    this.stopped = true;
    clearInterval(this.beat);
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000, 'closed by the agent');
  }
}
