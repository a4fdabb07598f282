"use strict";
// Quai, the passenger app (docs/app.md). Views by the page's address:
//   /app                 favourites and stations
//   /app?q=…             search (also typed, results as one types)
//   /app?station=ID      a station's live board (the stream)
//   /app?stop=ID         any stop's board (asked again every 30 s)
//   /app?line=ID         a line: its directions, stops and notices
//   /app?trip=ID         a trip, followed live (the stream); shareable
// A line, a stop or a trip can be followed with push alerts (Web Push,
// /v1/push/…): the set followed is kept on the phone and sent whole.
// Every text is set with textContent. The service worker (sw.js) keeps the
// app and the last answers; data it served says so, with its time.
const config = JSON.parse(document.body.dataset.config);
const params = new URLSearchParams(location.search);
let lang = (params.get("lang") || navigator.language || "fr").startsWith("fr") ? "fr" : "en";
const DATA_CACHE = "quai-data-v1";
const FAVOURITES = "quai.favourites";
const ALERTS = "quai.alerts";

const W = {
  fr: { search: "Rechercher", search_label: "Rechercher un arrêt, une gare ou une ligne", search_hint: "Arrêt, gare, ligne…",
        favourites: "Favoris", stations: "Gares", add: "☆ Ajouter aux favoris", remove: "★ Retirer des favoris",
        live: "● en direct", offline: "Hors ligne : données de", offline_now: "Hors ligne", nothing: "Aucun résultat.", loading: "Chargement…",
        none: "Aucun départ dans les prochaines heures.", stops: "Arrêts", towards: "Vers", share: "Partager ce trajet",
        copied: "Lien copié", here: "le véhicule est ici", coming: "le véhicule arrive", planned: "prévu",
        cancelled_trip: "Ce trajet est supprimé.", unavailable: "Information indisponible", platform: "quai", track: "voie",
        station: "gare", stop: "arrêt", line: "ligne", follow: "Suivre", min: "min",
        alert_on: "Recevoir les alertes", alert_off: "Arrêter les alertes", alert_wait: "Un instant…",
        alert_done: "Alertes activées : une notification arrivera en cas de perturbation.", alert_stopped: "Alertes arrêtées.",
        alert_none: "Ce navigateur ne reçoit pas d'alertes (essayez de l'installer sur l'écran d'accueil).",
        alert_denied: "Les notifications sont refusées pour ce site : autorisez-les dans les réglages du navigateur.",
        alert_gone: "Ce trajet est passé : pas d'alerte.", alert_failed: "Alertes indisponibles pour le moment", alert_service: "le service de notification du navigateur ne répond pas",
        on_time: "à l'heure", delayed: "retardé", early: "en avance", cancelled: "supprimé", skipped: "arrêt non desservi",
        departed: "parti", scheduled: "horaire prévu",
        occ_empty: "▮▯▯ peu de monde", occ_many_seats_available: "▮▯▯ peu de monde",
        occ_few_seats_available: "▮▮▯ peu de places assises", occ_standing_room_only: "▮▮▯ places debout",
        occ_crushed_standing_room_only: "▮▮▮ bondé", occ_full: "▮▮▮ bondé", occ_not_accepting_passengers: "▮▮▮ complet" },
  en: { search: "Search", search_label: "Search for a stop, a station or a line", search_hint: "Stop, station, line…",
        favourites: "Favourites", stations: "Stations", add: "☆ Add to favourites", remove: "★ Remove from favourites",
        live: "● live", offline: "Offline: data of", offline_now: "Offline", nothing: "No result.", loading: "Loading…",
        none: "No departure in the next hours.", stops: "Stops", towards: "To", share: "Share this trip",
        copied: "Link copied", here: "the vehicle is here", coming: "the vehicle is coming", planned: "planned",
        cancelled_trip: "This trip is cancelled.", unavailable: "Information unavailable", platform: "platform", track: "platform",
        station: "station", stop: "stop", line: "line", follow: "Follow", min: "min",
        alert_on: "Get alerts", alert_off: "Stop alerts", alert_wait: "One moment…",
        alert_done: "Alerts on: a notification will come if something goes wrong.", alert_stopped: "Alerts stopped.",
        alert_none: "This browser cannot receive alerts (try adding the app to the home screen).",
        alert_denied: "Notifications are blocked for this site: allow them in the browser's settings.",
        alert_gone: "This trip has gone: no alerts.", alert_failed: "Alerts unavailable for now", alert_service: "the browser's notification service does not answer",
        on_time: "on time", delayed: "delayed", early: "early", cancelled: "cancelled", skipped: "not stopping",
        departed: "departed", scheduled: "scheduled",
        occ_empty: "▮▯▯ plenty of room", occ_many_seats_available: "▮▯▯ plenty of room",
        occ_few_seats_available: "▮▮▯ few seats left", occ_standing_room_only: "▮▮▯ standing room only",
        occ_crushed_standing_room_only: "▮▮▮ very full", occ_full: "▮▮▮ very full", occ_not_accepting_passengers: "▮▮▮ full, not boarding" }
};
const t = k => W[lang][k];

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}
function hhmm(iso) { return iso ? iso.slice(11, 16) : ""; }
// "07:30", or "30/06 07:30" when it is not today's.
function when(iso) {
  const today = new Date().toISOString().slice(0, 10);
  return iso.slice(0, 10) === today ? hhmm(iso) : iso.slice(8, 10) + "/" + iso.slice(5, 7) + " " + hhmm(iso);
}
function pick(tr) { return tr ? (tr[lang] || tr.fr || tr.en || Object.values(tr)[0] || "") : ""; }
function link(query, text, cls) {
  const a = el("a", cls, text);
  a.href = "/app?" + query + (lang === "en" ? "&lang=en" : "");
  return a;
}
function badge(route) {
  const b = el("span", "badge", route.short_name || route.long_name || "");
  b.style.background = route.color; b.style.color = route.text_color;
  return b;
}
function status(d) {
  const late = d.status === "delayed" && d.delay_s ? " +" + Math.round(d.delay_s / 60) + " " + t("min") : "";
  // How full the bus is (its VehiclePositions), in words with a gauge.
  const full = d.occupancy && d.status !== "cancelled" ? " · " + t("occ_" + d.occupancy) : "";
  return (t(d.status) || d.status) + late + full;
}

// --- the service worker and what it kept ---
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app" }).catch(() => {});
}
async function getJSON(path) {
  const r = await fetch(path);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error ? body.error.message : "HTTP " + r.status);
  return { body, offline: r.headers.get("X-Quai-Offline") === "1" };
}
// What the stream brought, kept as the API's answer: offline, the last one.
async function keep(path, body) {
  if (!("caches" in window)) return;
  try {
    const cache = await caches.open(DATA_CACHE);
    await cache.put(path, new Response(JSON.stringify(body), { headers: { "Content-Type": "application/json" } }));
  } catch (e) { /* private browsing: nothing kept */ }
}
function showState(live, offlineSince) {
  const s = document.getElementById("state");
  s.hidden = false;
  s.className = "state" + (offlineSince ? " offline" : "");
  s.textContent = offlineSince ? t("offline") + " " + when(offlineSince) : (live ? t("live") : "");
}

// --- favourites, on this phone only ---
function favourites() {
  try { return JSON.parse(localStorage.getItem(FAVOURITES) || "[]"); } catch (e) { return []; }
}
function isFavourite(query) { return favourites().some(f => f.query === query); }
function toggleFavourite(query, name) {
  const list = favourites().filter(f => f.query !== query);
  if (list.length === favourites().length) list.push({ query, name });
  try { localStorage.setItem(FAVOURITES, JSON.stringify(list)); } catch (e) { /* full or disabled */ }
}
function starButton(query, name) {
  const b = el("button", "star", isFavourite(query) ? t("remove") : t("add"));
  b.type = "button";
  b.setAttribute("aria-pressed", String(isFavourite(query)));
  b.onclick = () => {
    toggleFavourite(query, name);
    b.textContent = isFavourite(query) ? t("remove") : t("add");
    b.setAttribute("aria-pressed", String(isFavourite(query)));
  };
  return b;
}

// --- push alerts (docs/app.md): what is followed is kept on the phone ---
function alerts() {
  try { return JSON.parse(localStorage.getItem(ALERTS) || "{}"); } catch (e) { return {}; }
}
function saveAlerts(a) { try { localStorage.setItem(ALERTS, JSON.stringify(a)); } catch (e) { /* full */ } }
const followKey = f => JSON.stringify(f);
function isFollowed(f) { return (alerts().follows || []).some(x => followKey(x) === followKey(f)); }
function b64urlBytes(s) {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
  return Uint8Array.from(b, c => c.charCodeAt(0));
}
// The browser's subscription, made with the server's key when there is none
// (or when it was made with another key: a server restored without its key).
async function pushSubscription() {
  const reg = await navigator.serviceWorker.ready;
  const key = (await getJSON("/v1/push/key")).body.public_key;
  const had = await reg.pushManager.getSubscription();
  if (had) {
    const k = had.options && had.options.applicationServerKey;
    const same = k && b64urlBytes(key).every((b, i) => new Uint8Array(k)[i] === b);
    if (same) return had;
    await had.unsubscribe().catch(() => {});
  }
  // A browser without a reachable push service never answers: say so.
  const late = new Promise((_, no) => setTimeout(() => no(new Error(t("alert_service"))), 15000));
  return Promise.race([reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64urlBytes(key) }), late]);
}
// Sends the whole set followed (an empty set: the subscription is deleted).
async function sendAlerts(follows) {
  const kept = alerts();
  if (!follows.length) {
    if (kept.id) await fetch("/v1/push/subscriptions/" + encodeURIComponent(kept.id), { method: "DELETE" }).catch(() => {});
    const reg = await navigator.serviceWorker.ready;
    const sub = await reg.pushManager.getSubscription();
    if (sub) await sub.unsubscribe().catch(() => {});
    saveAlerts({});
    return;
  }
  const sub = await pushSubscription();
  const post = list => fetch("/v1/push/subscriptions", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ subscription: sub.toJSON(), follows: list, lang })
  });
  let r = await post(follows);
  let body = await r.json().catch(() => ({}));
  // A line or stop gone from the timetable: followed no more, the rest kept.
  const refused = r.status === 422 && body.error && body.error.fields
    ? Object.keys(body.error.fields).map(f => /^follows\[(\d+)\]$/.exec(f)).filter(Boolean).map(m => Number(m[1])) : [];
  if (refused.length && refused.length < follows.length) {
    r = await post(follows.filter((_, i) => !refused.includes(i)));
    body = await r.json().catch(() => ({}));
  }
  if (!r.ok) throw new Error(body.error ? body.error.message : "HTTP " + r.status);
  // What the server kept: trips gone by are left out.
  saveAlerts({ id: body.id, follows: body.follows, renewed: new Date().toISOString().slice(0, 10) });
  if (!body.follows.length) await sendAlerts([]);
}
function alertButton(follow) {
  const wrap = el("div", "alerts");
  const b = el("button", "star", isFollowed(follow) ? t("alert_off") : t("alert_on"));
  b.type = "button";
  b.setAttribute("aria-pressed", String(isFollowed(follow)));
  const said = el("p", "status");
  said.setAttribute("role", "status");
  b.onclick = async () => {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) { said.textContent = t("alert_none"); return; }
    const on = !isFollowed(follow);
    b.disabled = true; said.textContent = t("alert_wait");
    try {
      if (on && await Notification.requestPermission() !== "granted") { said.textContent = t("alert_denied"); return; }
      const others = (alerts().follows || []).filter(x => followKey(x) !== followKey(follow));
      await sendAlerts(on ? others.concat([follow]) : others);
      said.textContent = on ? (isFollowed(follow) ? t("alert_done") : t("alert_gone")) : t("alert_stopped");
    } catch (e) {
      said.textContent = t("alert_failed") + " (" + (e.message || e) + ")";
    } finally {
      b.disabled = false;
      b.textContent = isFollowed(follow) ? t("alert_off") : t("alert_on");
      b.setAttribute("aria-pressed", String(isFollowed(follow)));
    }
  };
  wrap.append(b, said);
  return wrap;
}
// Once a day the set is sent again: the server keeps a subscription only
// while the app renews it (docs/privacy.md).
async function renewAlerts() {
  const a = alerts();
  if (!a.follows || !a.follows.length || a.renewed === new Date().toISOString().slice(0, 10)) return;
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try { await sendAlerts(a.follows); } catch (e) { /* next time */ }
}

// --- search, as one types ---
let searchSeq = 0;
async function search(q) {
  const mine = ++searchSeq;
  const sec = document.getElementById("results");
  if (!q.trim()) { sec.hidden = true; return; }
  let found;
  try { found = (await getJSON("/v1/search?q=" + encodeURIComponent(q) + "&limit=12")).body; } catch (e) { return; }
  if (mine !== searchSeq) return;
  sec.hidden = false;
  const ul = el("ul", "results");
  for (const p of found.results) {
    const li = el("li");
    if (p.kind === "line") {
      const a = link("line=" + encodeURIComponent(p.id), "");
      a.append(badge(p.route), " " + p.name);
      li.appendChild(a);
    } else {
      const query = p.kind === "station" ? "station=" + encodeURIComponent(p.id)
        : p.station ? "station=" + encodeURIComponent(p.station) : "stop=" + encodeURIComponent(p.id);
      li.appendChild(link(query, p.name));
      li.appendChild(el("span", "kind", " · " + t(p.kind)));
    }
    ul.appendChild(li);
  }
  sec.replaceChildren(found.results.length ? ul : el("p", "", t("nothing")));
}

// --- a board ---
function renderBoard(board, query, offlineSince, follow) {
  const v = document.getElementById("view");
  const parts = [el("h2", "", board.station.name), starButton(query, board.station.name)];
  if (follow) parts.push(follow);
  const ol = el("ol", "board");
  for (const d of board.departures) {
    const li = el("li", d.status === "cancelled" ? "cancelled" : "");
    const a = link("trip=" + encodeURIComponent(d.id), "");
    a.append(el("span", "time", hhmm(d.expected || d.scheduled)), " ", badge(d.route), " " + d.headsign);
    li.appendChild(a);
    const detail = [];
    if (d.platform) detail.push(t(d.mode === "rail" ? "track" : "platform") + " " + d.platform);
    detail.push(status(d));
    li.appendChild(el("div", "status" + (d.status === "delayed" ? " late" : ""), detail.join(" · ")));
    ol.appendChild(li);
  }
  parts.push(board.departures.length ? ol : el("p", "", t("none")));
  for (const n of board.notices) {
    const div = el("div", "notice");
    div.append(el("strong", "", (n.accessibility ? "♿ " : "") + pick(n.header)), " " + pick(n.description));
    parts.push(div);
  }
  v.replaceChildren(...parts);
  v.hidden = false;
  document.getElementById("static").hidden = true;
  showState(!offlineSince, offlineSince);
}

// A station: its board now (REST, kept offline), then the stream.
async function station(id) {
  const path = "/v1/stations/" + encodeURIComponent(id) + "/board";
  const query = "station=" + encodeURIComponent(id);
  let board = null;
  try {
    const got = await getJSON(path);
    board = got.body;
    renderBoard(board, query, got.offline ? board.generated_at : null);
  } catch (e) { showError(e); }
  // Live from here on (also after an offline start: the stream's snapshot
  // replaces what was kept).
  follow({ op: "subscribe", station: id }, board && board.seq, m => {
    if (m.type === "snapshot") board = Object.assign({}, m.board, { seq: m.seq });
    else if (m.type === "delta" && board) {
      if (m.seq <= board.seq) return false;
      const next = applyDelta(board, m);
      if (!next) return null;
      board = next;
    } else return false;
    renderBoard(board, query, null);
    keep(path, board);
    return board.seq;
  }, () => { if (board) showState(false, board.generated_at); });
}

// The board's delta applied (docs/protocol.md); null when out of step.
function applyDelta(board, m) {
  if (m.prev_seq !== board.seq) return null;
  const b = Object.assign({}, board);
  const up = (items, news) => { const out = items.slice(); for (const n of news) { const i = out.findIndex(x => x.id === n.id); if (i >= 0) out[i] = n; else out.push(n); } return out; };
  b.departures = up(b.departures, m.upsert.departures).filter(d => !m.remove.departures.includes(d.id));
  b.notices = up(b.notices, m.upsert.notices).filter(n => !m.remove.notices.includes(n.id));
  b.advisories = up(b.advisories, m.upsert.advisories).filter(a => !m.remove.advisories.includes(a.id));
  if (m.order) b.departures.sort((x, y) => m.order.indexOf(x.id) - m.order.indexOf(y.id));
  if (m.notice_order) b.notices.sort((x, y) => m.notice_order.indexOf(x.id) - m.notice_order.indexOf(y.id));
  b.seq = m.seq; b.generated_at = m.generated_at; b.next_service = m.next_service;
  if (m.facilities) b.facilities = m.facilities;
  return b;
}

// The stream, from `since` (the seq the page holds): `onMessage` answers a
// message with the seq it is at, false to ignore it, null when it is out of
// step (a delta was missed): the page asks again from the seq it holds, and
// the server replays what it missed (or sends a snapshot).
function follow(subscribe, since, onMessage, onLost) {
  let seq = since || null;
  let retry = 1000;
  const ask = ws => ws.send(JSON.stringify(Object.assign({}, subscribe, seq ? { since: seq } : {})));
  const open = () => {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/stream");
    ws.onopen = () => ask(ws);
    ws.onmessage = e => {
      const m = JSON.parse(e.data);
      if (m.type === "heartbeat" || m.type === "announce") return;
      if (m.type === "error") { onLost(); return; }
      const r = onMessage(m);
      // Backing off again only once data came: a server that accepts and
      // closes at once is not asked every second.
      if (r !== false) retry = 1000;
      if (r === null) ask(ws); else if (r) seq = r;
    };
    // Cut off: what is shown is marked with its time until the stream is back.
    ws.onclose = () => { onLost(); setTimeout(open, retry + Math.random() * retry); retry = Math.min(retry * 2, 30000); };
  };
  open();
}

// Any stop: its board, asked again every 30 s.
async function stop(id) {
  const path = "/v1/stops/" + encodeURIComponent(id) + "/board";
  const follow = alertButton({ stop_id: id });
  const load = async () => {
    try {
      const got = await getJSON(path);
      renderBoard(got.body, "stop=" + encodeURIComponent(id), got.offline ? got.body.generated_at : null, follow);
    } catch (e) { showError(e); }
  };
  await load();
  setInterval(load, 30000);
}

function showError(e) {
  const v = document.getElementById("view");
  v.replaceChildren(el("p", "late", t("unavailable") + " (" + (e.message || e) + ")"));
  v.hidden = false;
}

// --- a line ---
async function line(id) {
  const v = document.getElementById("view");
  try {
    const got = await getJSON("/v1/routes/" + encodeURIComponent(id));
    const r = got.body;
    const h = el("h2"); h.append(badge(r.route), " " + (r.route.long_name || r.route.short_name || ""));
    const parts = [h, starButton("line=" + encodeURIComponent(id), (r.route.short_name || "") + " " + (r.route.long_name || "")), alertButton({ route_id: id })];
    for (const n of r.notices) { const div = el("div", "notice"); div.append(el("strong", "", (n.accessibility ? "♿ " : "") + pick(n.header)), " " + pick(n.description)); parts.push(div); }
    for (const d of r.directions) {
      parts.push(el("h3", "", t("towards") + " " + d.headsign));
      const ol = el("ol", "stops");
      for (const s of d.stops) ol.appendChild(el("li", "", s.name));
      parts.push(ol);
    }
    v.replaceChildren(...parts);
    v.hidden = false;
    if (got.offline) {
      const st = document.getElementById("state");
      st.hidden = false; st.className = "state offline"; st.textContent = t("offline_now");
    } else showState(false, null);
  } catch (e) { showError(e); }
}

// --- a trip, followed live ---
let tripAlert = null;
function renderTrip(trip, asked, offlineSince) {
  const v = document.getElementById("view");
  const h = el("h2"); h.append(badge(trip.route), " → " + trip.headsign + (trip.trip_number ? " (" + trip.trip_number + ")" : ""));
  // One button for the view (its message stays across live updates).
  tripAlert = tripAlert || alertButton({ departure_id: asked });
  const parts = [h, tripAlert];
  if (trip.cancelled) parts.push(el("p", "late", t("cancelled_trip")));
  for (const n of trip.notices) { const div = el("div", "notice"); div.append(el("strong", "", (n.accessibility ? "♿ " : "") + pick(n.header)), " " + pick(n.description)); parts.push(div); }
  const ol = el("ol", "calls");
  for (const c of trip.calls) {
    const planned = c.scheduled_departure || c.scheduled_arrival;
    const expected = c.expected_departure || c.expected_arrival;
    const li = el("li", c.status === "departed" ? "gone" : c.status === "cancelled" || c.status === "skipped" ? "cancelled" : "");
    li.append(el("span", "time", hhmm(expected || planned)), " " + c.stop_name);
    const notes = [];
    if (expected && planned && hhmm(expected) !== hhmm(planned)) notes.push(t("planned") + " " + hhmm(planned));
    if (c.platform) notes.push(t(trip.mode === "rail" ? "track" : "platform") + " " + c.platform);
    if (c.status !== "on_time" && c.status !== "scheduled") notes.push(status(c));
    if (trip.vehicle && trip.vehicle.stop_sequence === c.stop_sequence) notes.push(trip.vehicle.stopped ? "● " + t("here") : "▼ " + t("coming"));
    if (c.departure_id === asked) li.setAttribute("aria-current", "location");
    if (notes.length) li.appendChild(el("div", "status", notes.join(" · ")));
    ol.appendChild(li);
  }
  parts.push(el("h3", "", t("stops")), ol);
  const share = el("button", "share", t("share"));
  share.type = "button";
  share.onclick = async () => {
    const url = location.origin + "/app?trip=" + encodeURIComponent(asked);
    if (navigator.share) { try { await navigator.share({ title: trip.headsign, url }); } catch (e) { /* closed */ } }
    else if (navigator.clipboard) { await navigator.clipboard.writeText(url); share.textContent = t("copied"); }
  };
  parts.push(share);
  v.replaceChildren(...parts);
  v.hidden = false;
  showState(!offlineSince, offlineSince);
}

async function trip(id) {
  const path = "/v1/trips/" + encodeURIComponent(id);
  let state = null;
  let seq = null;
  try {
    const got = await getJSON(path);
    state = got.body;
    renderTrip(state, id, got.offline ? state.generated_at : null);
  } catch (e) { showError(e); }
  follow({ op: "subscribe", trip: id }, null, m => {
    if (m.type === "trip_snapshot") { state = m.state; seq = m.seq; }
    else if (m.type === "trip_delta" && state) {
      if (seq !== null && m.seq <= seq) return false;
      // A delta missed: ask again (the server replays or sends a snapshot).
      if (seq !== null && m.prev_seq !== seq) return null;
      seq = m.seq;
      for (const c of m.calls) { const i = state.calls.findIndex(x => x.stop_sequence === c.stop_sequence); if (i >= 0) state.calls[i] = c; else state.calls.push(c); }
      state.calls.sort((a, b) => a.stop_sequence - b.stop_sequence);
      state.cancelled = m.cancelled; state.realtime = m.realtime; state.vehicle = m.vehicle;
      if (m.notices) state.notices = m.notices;
      state.generated_at = m.generated_at;
    } else return false;
    renderTrip(state, id, null);
    keep(path, state);
    return seq;
  }, () => { if (state) showState(false, state.generated_at); });
}

// --- home: favourites and stations ---
function home() {
  const favs = favourites();
  const sec = document.getElementById("favourites");
  sec.hidden = favs.length === 0;
  document.getElementById("favourite-list").className = "results";
  document.getElementById("favourite-list").replaceChildren(...favs.map(f => { const li = el("li"); li.appendChild(link(f.query, f.name)); return li; }));
  if (!params.get("q") && !params.get("station") && !params.get("stop") && !params.get("trip") && !params.get("line")) {
    const v = document.getElementById("view");
    const ul = el("ul", "results");
    for (const s of config.stations) { const li = el("li"); li.appendChild(link("station=" + encodeURIComponent(s.id), s.name)); ul.appendChild(li); }
    v.replaceChildren(el("h2", "", t("stations")), ul);
    v.hidden = false;
  }
}

function words() {
  document.documentElement.lang = lang;
  for (const n of document.querySelectorAll("[data-t]")) n.textContent = t(n.dataset.t);
  const q = document.getElementById("q");
  q.placeholder = t("search_hint");
  const button = document.getElementById("lang");
  button.hidden = false;
  button.textContent = lang === "fr" ? "EN" : "FR";
  // The name holds the visible text (WCAG 2.5.3), and says what it is.
  button.setAttribute("aria-label", lang === "fr" ? "EN – English" : "FR – Français");
  button.onclick = () => {
    const p = new URLSearchParams(location.search);
    p.set("lang", lang === "fr" ? "en" : "fr");
    location.search = p.toString();
  };
}

function start() {
  words();
  renewAlerts();
  const q = document.getElementById("q");
  let timer = null;
  q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => search(q.value), 150); });
  if (params.get("q")) { q.value = params.get("q"); search(params.get("q")); }
  const stationId = params.get("station");
  if (params.get("trip")) trip(params.get("trip"));
  else if (params.get("line")) line(params.get("line"));
  else if (params.get("stop")) stop(params.get("stop"));
  else if (stationId) station(stationId);
  home();
  if (params.get("trip") || params.get("line") || params.get("stop") || stationId || params.get("q")) {
    document.getElementById("favourites").hidden = true;
  }
  // What the server wrote for browsers without JavaScript: the script shows
  // its own (live) views instead.
  document.getElementById("static").hidden = true;
}
start();
