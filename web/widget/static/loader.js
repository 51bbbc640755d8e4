// Ringfence chat widget loader. An organisation adds it to its pages:
//
//   <script src="https://contact.example.com/widget/WIDGET_ID/loader.js" async></script>
//
// It adds a "Chat with us" button and, when pressed, the widget page in an iframe served by
// the contact center. The widget page asks this script (postMessage) to start the chat: the
// request to /start is made from this page, so the contact center sees this site's Origin
// and starts chats only for approved origins. The participant token it gets back goes to the
// widget page only (postMessage to the contact center's origin). Nothing here parses
// HTML; styles are set property by property, so a strict style-src on the site does not
// break it.
(function () {
  'use strict';
  var me = document.currentScript;
  if (!me || !me.src) { return; }
  var src = new URL(me.src);
  var m = /^\/widget\/([0-9a-f-]{36})\/loader\.js$/.exec(src.pathname);
  if (!m) { return; }
  var base = src.origin;
  var widgetId = m[1];
  var chatURL = base + '/widget/' + widgetId + '/chat';
  var startURL = base + '/widget/' + widgetId + '/start';

  function css(el, props) {
    for (var k in props) {
      if (Object.prototype.hasOwnProperty.call(props, k)) { el.style.setProperty(k, props[k]); }
    }
  }

  var host = document.createElement('div');
  host.id = 'ringfence-chat';
  host.setAttribute('data-widget-id', widgetId);
  var root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;

  var button = document.createElement('button');
  button.type = 'button';
  button.id = 'ringfence-chat-open';
  button.textContent = 'Chat with us';
  button.setAttribute('aria-expanded', 'false');
  css(button, {
    position: 'fixed', right: '20px', bottom: '20px', 'z-index': '2147483000',
    padding: '12px 18px', border: 'none', 'border-radius': '24px', cursor: 'pointer',
    background: '#1f4e79', color: '#ffffff', font: '600 15px system-ui, sans-serif',
    'box-shadow': '0 2px 8px rgba(0,0,0,.3)'
  });

  var frame = null;
  var open = false;

  function show(yes) {
    open = yes;
    button.setAttribute('aria-expanded', yes ? 'true' : 'false');
    if (frame) { css(frame, { display: yes ? 'block' : 'none' }); }
  }

  button.addEventListener('click', function () {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.id = 'ringfence-chat-frame';
      frame.title = 'Chat';
      frame.src = chatURL;
      frame.setAttribute('referrerpolicy', 'no-referrer');
      css(frame, {
        position: 'fixed', right: '20px', bottom: '76px', width: '370px', height: '560px',
        'max-width': 'calc(100vw - 40px)', 'max-height': 'calc(100vh - 96px)',
        border: '1px solid #c8ccd0', 'border-radius': '10px', background: '#ffffff',
        'z-index': '2147483000', 'box-shadow': '0 4px 16px rgba(0,0,0,.25)'
      });
      root.appendChild(frame);
    }
    show(!open);
  });

  function reply(msg) {
    if (frame && frame.contentWindow) { frame.contentWindow.postMessage(msg, base); }
  }

  window.addEventListener('message', function (e) {
    if (!frame || e.source !== frame.contentWindow || e.origin !== base) { return; }
    var d = e.data;
    if (!d || typeof d !== 'object' || typeof d.type !== 'string') { return; }
    if (d.type === 'ringfence:close') { show(false); return; }
    if (d.type !== 'ringfence:start') { return; }
    var body = JSON.stringify({ DisplayName: String(d.displayName || ''), ClientToken: String(d.clientToken || '') });
    fetch(startURL, {
      method: 'POST', mode: 'cors', credentials: 'omit', cache: 'no-store',
      headers: { 'Content-Type': 'application/json' }, body: body
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (out) {
        if (!resp.ok) {
          reply({ type: 'ringfence:error', status: resp.status, message: String(out.Message || out.message || 'The chat could not start.') });
          return;
        }
        reply({ type: 'ringfence:started', contactId: out.ContactId, participantId: out.ParticipantId, participantToken: out.ParticipantToken });
      });
    }, function () {
      reply({ type: 'ringfence:error', status: 0, message: 'The chat service cannot be reached from this site.' });
    });
  });

  root.appendChild(button);
  function attach() { document.body.appendChild(host); }
  if (document.body) { attach(); } else { document.addEventListener('DOMContentLoaded', attach); }
}());
