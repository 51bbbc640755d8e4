// Calls to the two interfaces the workspace uses: the agent API (/agent/v1/..., the session
// cookie plus the CSRF token the shell carries) and Amazon Connect's participant API
// (/participant/..., the participant's bearer token, no cookie).

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';

// csrfToken is the session's CSRF token the shell page was rendered with.
export const csrfToken = () => meta('csrf-token');

// signInURL is where the browser goes when the session ended; always a path of this site.
export function signInURL() {
  const u = meta('sign-in-url');
  return u.startsWith('/') && !u.startsWith('//') ? u : '/ui/login';
}

// APIError is an error answer: HTTP status, the exception name (X-Amzn-ErrorType) and the
// server's message, which is safe to show.
export class APIError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

async function decode(res) {
  let data = {};
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = {};
    }
  }
  if (!res.ok) {
    const type = (res.headers.get('x-amzn-ErrorType') ?? '').split(':')[0];
    const msg = typeof data.Message === 'string' ? data.Message : typeof data.message === 'string' ? data.message : '';
    throw new APIError(res.status, type, msg || `The request failed (HTTP ${res.status}).`);
  }
  return data;
}

// agent calls the agent API: method, a path below /agent/v1 and an optional JSON body.
export async function agent(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch('/agent/v1' + path, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return decode(res);
}

// participant POSTs body to a participant API operation with the bearer token.
export async function participant(path, bearer, body) {
  const res = await fetch('/participant' + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Amz-Bearer': bearer, Accept: 'application/json' },
    credentials: 'omit',
    cache: 'no-store',
    body: JSON.stringify(body ?? {}),
  });
  return decode(res);
}

// sameOriginSocketURL returns url when it is a ws: or wss: URL of this page's host (the only
// kind the page's Content-Security-Policy lets it open), else null.
export function sameOriginSocketURL(url) {
  let u;
  try {
    u = new URL(url, location.href);
  } catch {
    return null;
  }
  if ((u.protocol !== 'ws:' && u.protocol !== 'wss:') || u.host !== location.host) return null;
  return u.href;
}

// agentEventsURL is the agent API's events WebSocket on this host.
export function agentEventsURL() {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/agent/v1/events';
}
