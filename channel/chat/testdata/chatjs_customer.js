// A customer session with the unmodified amazon-connect-chatjs package, run by
// TestChatJS. It connects with the participant token in RF_CHAT (JSON: ContactId,
// ParticipantId, ParticipantToken) to the participant API at RF_ENDPOINT, sends a message,
// waits for the agent's answer, reads the transcript and ends the chat. It reports on stdout
// as lines "RFTEST <json>"; chatjs's own log lines go to stderr.
"use strict";
global.WebSocket = require("ws");
global.self = global;
global.window = global;
// Node 20 has no navigator; chatjs reads its userAgent and onLine.
if (typeof global.navigator === "undefined") {
  global.navigator = { userAgent: "Node.js " + process.version, onLine: true, language: "en-US" };
}

const out = (kind, data) => process.stdout.write("RFTEST " + JSON.stringify({ kind, data }) + "\n");
const fail = (err) => {
  out("error", String((err && (err.stack || err.message)) || JSON.stringify(err)));
  process.stdout.write("", () => process.exit(1));
};
process.on("unhandledRejection", fail);
setTimeout(() => fail("timed out"), 60000).unref();

const console2 = { debug() {}, info() {}, log() {}, warn: (...a) => process.stderr.write(a.join(" ") + "\n"), error: (...a) => process.stderr.write(a.join(" ") + "\n") };
global.console.debug = console2.debug;
global.console.info = console2.info;
global.console.log = console2.log;

require("amazon-connect-chatjs");
const connect = global.connect;
const details = JSON.parse(process.env.RF_CHAT);

connect.ChatSession.setGlobalConfig({ region: "us-east-1", endpoint: process.env.RF_ENDPOINT, loggerConfig: { useDefaultLogger: false } });
const session = connect.ChatSession.create({
  chatDetails: details,
  options: { region: "us-east-1" },
  type: connect.ChatSession.SessionTypes.CUSTOMER,
});

let agentReplied;
const replied = new Promise((resolve) => (agentReplied = resolve));
let chatEnded;
const ended = new Promise((resolve) => (chatEnded = resolve));

session.onMessage((ev) => {
  const d = ev.data;
  out("message", { Id: d.Id, Type: d.Type, ContentType: d.ContentType, Content: d.Content, ParticipantRole: d.ParticipantRole, DisplayName: d.DisplayName });
  if (d.ParticipantRole === "AGENT" && d.Type === "MESSAGE") agentReplied(d);
});
session.onTyping((ev) => out("typing", { ParticipantRole: ev.data.ParticipantRole }));
session.onEnded(() => {
  out("ended", {});
  chatEnded();
});

(async () => {
  const res = await session.connect();
  out("connected", { connectSuccess: res && res.connectSuccess });
  await session.sendEvent({ contentType: "application/vnd.amazonaws.connect.event.typing" });
  const sent = await session.sendMessage({ contentType: "text/plain", message: "hello from chatjs, card 4111 1111 1111 1111" });
  out("sent", { Id: sent.data.Id, AbsoluteTime: sent.data.AbsoluteTime });
  const reply = await replied;
  out("reply", { Content: reply.Content });
  const tr = await session.getTranscript({ maxResults: 15, sortOrder: "ASCENDING" });
  out("transcript", tr.data.Transcript.map((i) => ({ Id: i.Id, Type: i.Type, ContentType: i.ContentType, Content: i.Content, ParticipantRole: i.ParticipantRole })));
  await session.disconnectParticipant();
  out("disconnected", {});
  await ended;
  // Exit once stdout is flushed (writes to a pipe are asynchronous).
  process.stdout.write("", () => process.exit(0));
})().catch(fail);
