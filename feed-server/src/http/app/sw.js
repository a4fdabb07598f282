"use strict";
// The passenger app's service worker (docs/app.md): the app's files are kept
// at install; the API's answers are asked of the network first and kept, and
// served from what was kept when the network fails, marked X-Quai-Offline so
// that the page says how old they are. The page itself (/app) likewise.
// The version of the app's files, written here by the server: new files make
// a new worker, which keeps them afresh and drops the old ones.
const VERSION = "{{VERSION}}";
const SHELL = "quai-shell-" + VERSION;
const DATA = "quai-data-v1";
// Answers kept at most (the oldest go first).
const KEPT = 100;
const FILES = ["/app", "/app/app.js", "/app/app.css", "/app/manifest.webmanifest", "/app/icon-192.png", "/app/icon-512.png"];

self.addEventListener("install", e => {
  e.waitUntil(caches.open(SHELL).then(c => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", e => {
  e.waitUntil(caches.keys()
    .then(keys => Promise.all(keys.filter(k => k !== SHELL && k !== DATA).map(k => caches.delete(k))))
    .then(() => self.clients.claim()));
});

async function kept(cacheName, key) {
  const hit = await (await caches.open(cacheName)).match(key);
  if (!hit) return Response.error();
  const headers = new Headers(hit.headers);
  headers.set("X-Quai-Offline", "1");
  return new Response(await hit.blob(), { status: hit.status, headers });
}

async function store(cacheName, key, response) {
  const cache = await caches.open(cacheName);
  await cache.put(key, response);
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - KEPT))) await cache.delete(old);
}

function networkFirst(request, cacheName, key) {
  return fetch(request).then(r => {
    if (r.ok) store(cacheName, key, r.clone());
    return r;
  }).catch(() => kept(cacheName, key));
}

// A push (docs/app.md): shown as a notification; a newer one of the same
// subject (tag) replaces it; within the quiet hours it comes silently.
self.addEventListener("push", e => {
  let m = {};
  try { m = e.data ? e.data.json() : {}; } catch (err) { m = { title: "Quai", body: e.data ? e.data.text() : "" }; }
  e.waitUntil(self.registration.showNotification(m.title || "Quai", {
    body: m.body || "", tag: m.tag, lang: m.lang, silent: !!m.silent, renotify: !m.silent && !!m.tag,
    icon: "/app/icon-192.png", badge: "/app/icon-192.png", data: { url: m.url || "/app" }
  }));
});

// Touching it opens the app on its subject (or brings an open app there).
self.addEventListener("notificationclick", e => {
  e.notification.close();
  const url = new URL((e.notification.data && e.notification.data.url) || "/app", location.origin);
  if (url.origin !== location.origin) return;
  e.waitUntil(self.clients.matchAll({ type: "window" }).then(async list => {
    for (const c of list) {
      if (!c.url.startsWith(location.origin + "/app")) continue;
      try { await c.focus(); const w = await c.navigate(url.href); if (w) return; } catch (err) { /* not ours to move: a new window */ }
    }
    return self.clients.openWindow(url.href);
  }));
});

self.addEventListener("fetch", e => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  // Search answers are not kept (one a keystroke); the stream is not HTTP.
  if (url.pathname.startsWith("/v1/") && url.pathname !== "/v1/stream" && url.pathname !== "/v1/search") {
    e.respondWith(networkFirst(e.request, DATA, e.request));
  } else if (e.request.mode === "navigate" && url.pathname === "/app") {
    // Any view of the app: the page is the same, its script reads the address.
    e.respondWith(networkFirst(e.request, SHELL, "/app"));
  } else if (FILES.includes(url.pathname)) {
    e.respondWith(caches.match(url.pathname).then(hit => hit || fetch(e.request)));
  }
});
