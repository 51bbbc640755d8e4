// Ringfence pages: the few behaviours that need script (passkeys, showing the fields of the
// chosen quick connect type). Everything else works as plain forms. Text reaches the page
// through textContent only, never as HTML.

const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

async function postJSON(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken() },
    body: JSON.stringify(body),
  });
  let data = {};
  try {
    data = await res.json();
  } catch {
    // not JSON: keep the generic message
  }
  if (!res.ok) {
    throw new Error(typeof data.message === 'string' ? data.message : 'The request failed. Reload the page and try again.');
  }
  return data;
}

function say(el, text) {
  if (el) el.textContent = text;
}

// go follows a redirect the server named, and only to a page of this site.
function go(path) {
  if (typeof path === 'string' && path.startsWith('/ui/')) location.assign(path);
}

function passkeysAvailable(status) {
  if (!window.PublicKeyCredential || typeof PublicKeyCredential.parseCreationOptionsFromJSON !== 'function') {
    say(status, 'This browser cannot use passkeys.');
    return false;
  }
  return true;
}

async function registerPasskey(button) {
  const status = document.getElementById('passkey-status');
  if (!passkeysAvailable(status)) return;
  const name = document.getElementById('passkey-name')?.value ?? '';
  button.disabled = true;
  say(status, 'Follow the prompts of your browser.');
  try {
    const begin = await postJSON(button.dataset.begin, {});
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(begin.options);
    const credential = await navigator.credentials.create({ publicKey });
    const done = await postJSON(button.dataset.finish, { state: begin.state, name, credential: credential.toJSON() });
    say(status, 'Passkey added.');
    go(done.redirect);
  } catch (e) {
    say(status, e instanceof DOMException ? 'No passkey was created.' : e.message);
    button.disabled = false;
  }
}

async function usePasskey(button) {
  const status = document.getElementById('passkey-status');
  if (!passkeysAvailable(status)) return;
  button.disabled = true;
  say(status, 'Follow the prompts of your browser.');
  try {
    const begin = await postJSON(button.dataset.begin, {});
    if (begin.redirect) {
      go(begin.redirect);
      return;
    }
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(begin.options);
    const credential = await navigator.credentials.get({ publicKey });
    const done = await postJSON(button.dataset.finish, { state: begin.state, credential: credential.toJSON() });
    say(status, 'Verified.');
    go(done.redirect);
  } catch (e) {
    say(status, e instanceof DOMException ? 'The passkey was not used.' : e.message);
    button.disabled = false;
  }
}

document.getElementById('passkey-register')?.addEventListener('click', (e) => registerPasskey(e.currentTarget));
document.getElementById('passkey-login')?.addEventListener('click', (e) => usePasskey(e.currentTarget));

// A select with data-shows="cls" shows only the fieldsets of class cls whose data-type is
// its value (the quick connect form: one destination per type). Without script every
// fieldset shows and the server uses the one of the chosen type.
function showChosen(select) {
  for (const fs of document.querySelectorAll('fieldset.' + CSS.escape(select.dataset.shows))) {
    fs.hidden = fs.dataset.type !== select.value;
  }
}

for (const select of document.querySelectorAll('select[data-shows]')) {
  showChosen(select);
  select.addEventListener('change', () => showChosen(select));
}
