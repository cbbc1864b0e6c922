// The AudioGPT web chat: one channel open at a time, listening on its WebSocket,
// sending with HTTP. Every piece of user or bot text goes in with textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const WAVEFORM_MAX_SECONDS = 600;  // longer recordings get the player alone

const state = { channel: "", socket: null, retry: 0, uploads: [], recorder: null,
                replyTo: null };  // replyTo: what a reply works on, {handle} or {message}, with its node

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// Text with `backticked` commands shown as code, as the chat platforms show them; every
// piece still goes in as text, never as HTML.
function withCode(text) {
  const parts = text.split("`");
  if (parts.length % 2 === 0) return [text];  // an unmatched backtick: as written
  return parts.map((part, i) => (i % 2 ? el("code", { textContent: part }) : part));
}

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

const postJSON = (path, data) => api(path, {
  method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(data),
});

function notify(text, kind = "error") {  // kind "info": a command's answer
  const notice = $("notice");
  notice.textContent = text;
  notice.className = kind;
  notice.hidden = !text;
}

// channels

function channelFromHash() {
  const name = decodeURIComponent(location.hash.slice(1)).toLowerCase();
  return /^[a-z0-9][a-z0-9_-]{0,39}$/.test(name) ? name : "general";
}

async function loadChannels() {
  const { channels } = await api("/api/channels");
  if (!channels.includes(state.channel)) channels.push(state.channel);
  $("channel-list").replaceChildren(...channels.map((name) => el("li", {},
    el("a", { href: `#${name}`, textContent: `# ${name}`,
              className: name === state.channel ? "current" : "" }))));
}

function openChannel() {
  state.channel = channelFromHash();
  $("channel-title").textContent = `# ${state.channel}`;
  document.title = `#${state.channel} · AudioGPT`;
  $("messages").replaceChildren();
  delete $("messages").dataset.loaded;
  notify("");
  if (state.socket) {
    state.socket.onclose = null;
    state.socket.close();
  }
  connect();
  loadChannels().catch((err) => notify(err.message));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/channels/${state.channel}/ws`);
  state.socket = socket;
  socket.onmessage = (event) => receive(JSON.parse(event.data));
  socket.onopen = () => { state.retry = 0; };
  socket.onclose = () => {  // the server restarted or the network blinked: come back
    delete $("messages").dataset.loaded;
    state.retry = Math.min(state.retry + 1, 10);
    setTimeout(() => { if (state.socket === socket) connect(); }, 500 * state.retry);
  };
}

// events from the channel

function receive(event) {
  const handlers = {
    history: () => {
      $("voice").checked = event.voice_replies;
      $("messages").replaceChildren();
      event.messages.forEach(show);
      $("messages").dataset.loaded = state.channel;
    },
    turn: () => show(pendingTurn(event)),
    progress: () => progress(event),
    done: () => finish(event.turn, event.messages),
    failed: () => finish(event.turn, [], event.error),
    voice: () => { $("voice").checked = event.on; },
    reset: () => { $("messages").replaceChildren(); dropReply(); },
  };
  handlers[event.type]?.();
}

function pendingTurn(event) {
  return { role: "user", author: event.author, text: event.text, turn: event.turn,
           files: event.files, media: [], at: new Date().toISOString() };
}

function show(message) {
  const box = $("messages");
  if (message.id && box.querySelector(`[data-id="${message.id}"]`)) return;
  const failed = message.role === "assistant" && message.error_code;
  const article = el("article", { className: `msg ${message.role}${failed ? " error" : ""}` },
    el("header", {},
      el("span", { className: "author",
                   textContent: message.role === "assistant" ? "AudioGPT" : message.author }),
      el("time", { textContent: new Date(message.at).toLocaleTimeString([],
                     { hour: "2-digit", minute: "2-digit" }) })),
    message.text ? el("p", { className: "text" }, ...withCode(message.text)) : null,
    message.text && message.id ? el("button", { type: "button", className: "reply",
      textContent: "reply", title: "Reply to this message, e.g. \"read this aloud\"",
      onclick: () => replyTo({ message: message.id },
        message.role === "assistant" ? "my message" : `${message.author}'s message`) }) : null,
    message.files?.length ? el("p", { className: "files", textContent: "Files: " +
      message.files.map((f) => `${f.name} (${f.kind})`).join(", ") }) : null,
    ...message.media.map(player));
  if (message.id) article.dataset.id = message.id;
  if (message.turn) {
    article.dataset.turn = message.turn;
    article.append(el("div", { className: "status" }, el("progress"),
      el("span", { textContent: "waiting" })));
  }
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.append(article);
  if (atBottom || message.turn) box.scrollTop = box.scrollHeight;
}

function progress(event) {
  const status = document.querySelector(`[data-turn="${event.turn}"] .status`);
  if (!status) return;
  const [bar, label] = status.children;
  const step = event.step ? `step ${event.step}/${event.total_steps}: ` : "";
  const note = event.note ? ` (${event.note})` : "";  // "about 40 s on this machine"
  label.textContent = `${step}${event.message}${note}`;  // "step 1/2: Transcribe speech"
  if (event.step) Object.assign(bar, { max: event.total_steps, value: event.step - 0.5 });
}

function finish(turn, messages, error) {
  const pending = document.querySelector(`[data-turn="${turn}"]`);
  if (error) {
    pending?.querySelector(".status")?.remove();
    show({ role: "assistant", error_code: "failed", text: error, media: [],
           at: new Date().toISOString() });
    return;
  }
  pending?.remove();
  messages.forEach(show);
}

// media

function player(media) {
  const caption = el("figcaption", {},
    `${media.handle} · ${media.kind}${media.duration ? ` · ${media.duration.toFixed(1)} s` : ""}` +
    `${media.label ? ` · ${media.label}` : ""} · `,
    el("a", { href: `${media.url}?download=1`, textContent: "download" }), " · ",
    el("button", { type: "button", className: "reply", textContent: "reply",
                   title: `Work on ${media.handle}: say what to do with it`,
                   onclick: () => replyTo({ handle: media.handle }, media.handle) }));
  if (media.kind === "image") {
    return el("figure", {}, el("img", { src: media.url, alt: media.label || media.handle }),
      caption);
  }
  if (media.kind === "video") {
    // "#t=0.1": the browser seeks into it and shows that frame, not a blank box, until played
    return el("figure", {}, el("video", { src: `${media.url}#t=0.1`, controls: true,
                                          preload: "metadata" }),
      caption);
  }
  if (media.kind === "file") return el("figure", {}, caption);  // subtitles: the link
  const audio = el("audio", { src: media.url, controls: true, preload: "metadata" });
  if (media.duration > WAVEFORM_MAX_SECONDS) return el("figure", {}, audio, caption);
  const canvas = el("canvas", { className: "wave", width: 600, height: 48 });
  drawWaveform(canvas, audio, media.url);
  return el("figure", { className: "audio" }, canvas, audio, caption);
}

async function drawWaveform(canvas, audio, url) {
  try {
    const bytes = await (await fetch(url)).arrayBuffer();
    // decoding at a low rate is plenty for a picture of the loudness
    const decoded = await new OfflineAudioContext(1, 1, 8000).decodeAudioData(bytes);
    const samples = decoded.getChannelData(0);
    const step = Math.max(1, Math.floor(samples.length / canvas.width));
    const peaks = Array.from({ length: canvas.width }, (_, x) => {
      let peak = 0;
      for (let i = x * step; i < Math.min((x + 1) * step, samples.length); i++) {
        peak = Math.max(peak, Math.abs(samples[i]));
      }
      return peak;
    });
    const scale = 1 / Math.max(...peaks, 1e-3);
    const paint = () => {
      const ctx = canvas.getContext("2d");
      const played = audio.duration ? audio.currentTime / audio.duration : 0;
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      peaks.forEach((p, x) => {
        const h = Math.max(1, p * scale * (canvas.height - 4));
        ctx.fillStyle = x / canvas.width < played ? "#2f6fde" : "#a9b4c2";
        ctx.fillRect(x, (canvas.height - h) / 2, 1, h);
      });
    };
    paint();
    audio.addEventListener("timeupdate", paint);
    canvas.addEventListener("click", (e) => {
      if (audio.duration) audio.currentTime = audio.duration * e.offsetX / canvas.clientWidth;
    });
    canvas.dataset.seconds = decoded.duration.toFixed(2);
  } catch (err) {
    canvas.remove();  // the player still works; only the picture is missing
  }
}

// composing

function attach(files) {
  for (const file of files) {
    const item = { name: file.name || "upload", id: null, node: null };
    item.promise = upload(file, item);
    item.node = el("li", { className: "busy", textContent: `${item.name} · uploading` },
      el("button", { type: "button", textContent: "×", title: "Remove",
                     onclick: () => dropUpload(item) }));
    state.uploads.push(item);
    $("uploads").append(item.node);
  }
}

async function upload(file, item) {
  try {
    const staged = await api(`/api/uploads?name=${encodeURIComponent(item.name)}`,
      { method: "POST", body: file });
    item.id = staged.id;
    item.node.className = "";
    item.node.firstChild.textContent = `${item.name} · ${staged.kind} `;
    return true;
  } catch (err) {
    dropUpload(item);
    notify(err.message === "Failed to fetch"
      ? `Couldn't upload ${item.name}: the connection was cut (is it over the size limit?)`
      : err.message);
    return false;
  }
}

function replyTo(target, label) {
  dropReply();
  const node = el("li", { className: "reply", textContent: `↩ replying to ${label} ` },
    el("button", { type: "button", textContent: "×", title: "Don't reply", onclick: dropReply }));
  state.replyTo = { ...target, node };
  $("uploads").prepend(node);
  $("text").focus();
}

function dropReply() {
  state.replyTo?.node.remove();
  state.replyTo = null;
}

function dropUpload(item) {
  state.uploads = state.uploads.filter((u) => u !== item);
  item.node.remove();
}

async function send() {
  const text = $("text").value;
  if (text.trim().startsWith("/")) return command(text.trim());
  $("send").disabled = true;
  try {
    const uploaded = await Promise.all(state.uploads.map((u) => u.promise));
    if (!uploaded.every(Boolean)) return;  // the notice says why; the text stays
    const ready = state.uploads.filter((u) => u.id);
    if (!text.trim() && !ready.length) return;
    await postJSON(`/api/channels/${state.channel}/messages`,
      { text, author: author(), uploads: ready.map((u) => u.id),
        replying_to: state.replyTo?.handle ? [state.replyTo.handle] : [],
        replying_to_message: state.replyTo?.message ?? null });
    ready.forEach(dropUpload);
    dropReply();
    $("text").value = "";
    notify("");
  } catch (err) {
    notify(err.message);
  } finally {
    $("send").disabled = false;
  }
}

async function command(line) {  // the server runs it and says what it did
  if (line.split(/\s+/)[0].toLowerCase() === "/reset" &&
      !confirm(`Forget every message and file in #${state.channel}?`)) return;
  try {
    const { text } = await postJSON(`/api/channels/${state.channel}/commands`, { text: line });
    $("text").value = "";
    notify(text, "info");
  } catch (err) {
    notify(err.message);
  }
}

const author = () => $("name").value.trim() || "guest";
const setVoice = (on) => postJSON(`/api/channels/${state.channel}/voice`, { on });

async function reset() {
  if (confirm(`Forget every message and file in #${state.channel}?`)) {
    await postJSON(`/api/channels/${state.channel}/reset`, {});
  }
}

async function record() {
  if (state.recorder) return state.recorder.stop();
  if (!navigator.mediaDevices) {  // browsers only offer microphones to secure pages
    return notify("Recording needs the page on this machine (127.0.0.1) or behind HTTPS; " +
      "attach a recording instead.");
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus"]
      .find((t) => MediaRecorder.isTypeSupported(t));
    const recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
    const chunks = [];
    const started = Date.now();
    const tick = () => {
      const s = Math.floor((Date.now() - started) / 1000);
      $("record").textContent = `Stop ${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    };
    const clock = setInterval(tick, 250);
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      state.recorder = null;
      clearInterval(clock);
      Object.assign($("record"), { className: "", textContent: "Record" });
      const suffix = recorder.mimeType.includes("ogg") ? "ogg" : "webm";
      attach([new File(chunks, `voice-note.${suffix}`, { type: recorder.mimeType })]);
      send();  // a voice note goes out as soon as it ends, with any text typed
    };
    recorder.start();
    state.recorder = recorder;
    $("record").className = "recording";
    tick();
  } catch (err) {
    notify(`Couldn't use the microphone: ${err.message}`);
  }
}

async function showTasks() {
  const rows = await api("/api/tasks");
  $("task-rows").replaceChildren(...rows.flatMap((row) => {
    return row.backends.map((b, i) => el("tr", {},
      el("td", {}, i ? "" : el("span", { title: row.title, textContent: row.task })),
      el("td", { textContent: b.name }),
      el("td", { textContent: b.model }),
      el("td", { textContent: b.license }),
      el("td", { textContent: b.tier }),
      el("td", {}, b.installed ? el("span", { className: "yes", textContent: "yes" })
        : el("span", { className: "no" }, "no: ", el("code", { textContent: b.install })))));
  }));
  $("tasks").showModal();
}

function setUp() {
  $("name").value = localStorage.getItem("audiogpt.name") || "";
  $("name").addEventListener("change", () => localStorage.setItem("audiogpt.name", author()));
  $("composer").addEventListener("submit", (e) => { e.preventDefault(); send(); });
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); }
  });
  $("attach").addEventListener("click", () => $("files").click());
  $("files").addEventListener("change", (e) => { attach(e.target.files); e.target.value = ""; });
  $("record").addEventListener("click", record);
  $("voice").addEventListener("change", (e) => setVoice(e.target.checked)
    .catch((err) => notify(err.message)));
  $("reset").addEventListener("click", () => reset().catch((err) => notify(err.message)));
  $("show-tasks").addEventListener("click", () => showTasks().catch((err) => notify(err.message)));
  $("new-channel").addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = $("new-channel-name").value.trim().toLowerCase();
    $("new-channel-name").value = "";
  });
  let depth = 0;  // dragenter/leave fire for every child crossed
  document.addEventListener("dragenter", (e) => { e.preventDefault(); $("drop").hidden = !++depth; });
  document.addEventListener("dragleave", () => { $("drop").hidden = !--depth; });
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    $("drop").hidden = true;
    attach(e.dataTransfer.files);
  });
  window.addEventListener("hashchange", openChannel);
  api("/api/config").then((c) => {
    $("limits").textContent = "Drop audio, video or pictures anywhere on the page " +
      `(up to ${(c.max_upload_bytes / 2 ** 20).toFixed(c.max_upload_bytes < 2 ** 20 ? 2 : 0)} MB).`;
  }).catch(() => {});
  openChannel();
}

setUp();
