"use strict";
const config = JSON.parse(document.body.dataset.config);
const words = {
  fr: { wifi: "Wi-Fi gratuit :", departures: "Prochains départs", notices: "Informations trafic",
        "terms-title": "Conditions d'utilisation", accept: "Accepter et se connecter",
        terms: "Ce service d'accès à Internet est gratuit. En vous connectant, vous acceptez un usage conforme à la loi. Aucune donnée personnelle n'est demandée ; l'adresse de votre appareil est conservée le temps de la session.",
        on_time: "à l'heure", delayed: "retardé", early: "en avance", cancelled: "supprimé", skipped: "arrêt non desservi",
        departed: "parti", scheduled: "horaire prévu", live: "en direct", offline: "hors ligne – horaires théoriques",
        platform: "quai", track: "voie", changed: "changement", none: "Pas de départ prévu avant", min: "min",
        facilities: "Stationnement et covoiturage", full: "complet", closed: "fermé", unavailable: "information indisponible",
        lines: "Lignes", next_here: "Prochains départs d'ici", stops: "Arrêts", towards: "Vers", loading: "Chargement…",
        here: "vous êtes ici", vehicle_here: "le véhicule est ici", vehicle_coming: "le véhicule arrive", planned: "prévu",
        trip_cancelled: "Ce trajet est supprimé.", to_board: "← Tous les départs",
        app: "Ouvrir l'app Quai : recherche, favoris, trajets suivis →" },
  en: { wifi: "Free Wi-Fi:", departures: "Next departures", notices: "Travel information",
        "terms-title": "Terms of use", accept: "Accept and connect",
        terms: "This Internet access is free. By connecting you agree to lawful use. No personal data is asked for; your device's address is kept for the session.",
        on_time: "on time", delayed: "delayed", early: "early", cancelled: "cancelled", skipped: "stop not served",
        departed: "departed", scheduled: "scheduled", live: "live", offline: "offline – scheduled times",
        platform: "platform", track: "platform", changed: "changed", none: "No departure before", min: "min",
        facilities: "Parking and carpool", full: "full", closed: "closed", unavailable: "information unavailable",
        lines: "Lines", next_here: "Next departures from here", stops: "Stops", towards: "To", loading: "Loading…",
        here: "you are here", vehicle_here: "the vehicle is here", vehicle_coming: "the vehicle is coming", planned: "planned",
        trip_cancelled: "This trip is cancelled.", to_board: "← All departures",
        app: "Open the Quai app: search, favourites, followed trips →" }
};
// A kiosk's link says its language (?lang=en); else the phone's.
let lang = (new URLSearchParams(location.search).get("lang") || navigator.language || "fr").startsWith("fr") ? "fr" : "en";
let board = null;
let live = false;
// The server's clock may be set (demo, replays): show its time, not the phone's.
let offset = 0;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}
function hhmm(iso) { return iso ? iso.slice(11, 16) : ""; }
function pick(t) { return t ? (t[lang] || t.fr || t.en || Object.values(t)[0] || "") : ""; }

function render() {
  document.documentElement.lang = lang;
  document.getElementById("lang").textContent = lang === "fr" ? "EN" : "FR";
  for (const n of document.querySelectorAll("[data-t]")) n.textContent = words[lang][n.dataset.t];
  document.getElementById("station").textContent = board ? board.station.name : config.station_name;
  document.getElementById("ssid").textContent = config.ssid || "";
  document.getElementById("live").textContent = live ? "● " + words[lang].live : words[lang].offline;
  const tbody = document.getElementById("departures");
  tbody.replaceChildren();
  const deps = board ? board.departures : [];
  for (const d of deps) {
    const tr = el("tr");
    tr.dataset.id = d.id;
    const time = el("td", "time", hhmm(d.expected || d.scheduled));
    if (d.expected && d.expected !== d.scheduled) time.appendChild(el("div", "status", hhmm(d.scheduled)));
    const badge = el("span", "badge", d.route.short_name || d.route.long_name || "");
    badge.style.background = d.route.color; badge.style.color = d.route.text_color;
    const line = el("td"); line.appendChild(badge);
    const dest = el("td", d.status === "cancelled" ? "cancelled" : "", d.headsign);
    const status = el("div", "status " + (d.status === "delayed" ? "late" : d.status === "cancelled" ? "cancelled" : ""),
      words[lang][d.status] + (d.delay_s && d.status === "delayed" ? " +" + Math.round(d.delay_s / 60) + " " + words[lang].min : ""));
    dest.appendChild(status);
    // A changed platform is said in words, not by colour alone.
    const plat = el("td", d.platform_changed ? "changed" : "",
      d.platform ? words[lang][d.mode === "rail" ? "track" : "platform"] + " " + d.platform + (d.platform_changed ? " · " + words[lang].changed : "") : "");
    tr.append(time, line, dest, plat);
    tbody.appendChild(tr);
  }
  const facilities = board && board.facilities ? board.facilities : [];
  document.getElementById("facilities").hidden = facilities.length === 0;
  document.getElementById("facility-list").replaceChildren(...facilities.map(f => {
    const div = el("div", "facility");
    div.appendChild(el("strong", "", f.name));
    let state;
    if (f.status === "full") state = words[lang].full;
    else if (f.status === "closed") state = words[lang].closed;
    else if (f.free === null || f.free === undefined) state = words[lang].unavailable;
    else if (!live) state = words[lang].unavailable;
    else if (f.kind === "bike_share") state = lang === "fr" ? f.free + " vélo(s) disponible(s)" : f.free + " bike(s) available";
    else if (f.unknown > 0 && f.free === 0) state = lang === "fr" ? "aucune place libre signalée" : "no free place reported";
    else {
      const of = f.capacity === null || f.capacity === undefined ? "" : (lang === "fr" ? " sur " : " of ") + f.capacity;
      if (f.unknown > 0) state = (lang === "fr" ? "au moins " + f.free + " libre(s)" : "at least " + f.free + " free") + of;
      else state = (lang === "fr" ? f.free + " place(s) libre(s)" : f.free + " free") + of;
    }
    div.appendChild(el("div", f.status === "full" ? "status late" : "status", state));
    return div;
  }));
  const emergency = document.getElementById("emergency");
  emergency.hidden = !(board && board.emergency);
  emergency.textContent = board && board.emergency ? pick(board.emergency.screen_text) : "";
  const empty = document.getElementById("empty");
  empty.hidden = deps.length > 0 || !board;
  empty.textContent = board && board.next_service ? words[lang].none + " " + hhmm(board.next_service) : "";
  const notices = board ? board.notices : [];
  document.getElementById("notices").hidden = notices.length === 0;
  const list = document.getElementById("notice-list");
  list.replaceChildren(...notices.map(noticeDiv));
  const adv = document.getElementById("advisories");
  const advisories = board ? board.advisories : [];
  adv.hidden = advisories.length === 0;
  adv.replaceChildren(...advisories.map(a => {
    const div = el("div", "advisory");
    div.appendChild(el("h2", "", pick(a.headline)));
    const ul = el("ul");
    for (const line of (a.advice[lang] || a.advice.fr || [])) ul.appendChild(el("li", "", line));
    div.appendChild(ul);
    return div;
  }));
  renderView();
}

function apply(m) {
  if (m.type === "snapshot") { board = m.board; board.seq = m.seq; offset = Date.parse(board.generated_at) - Date.now(); return true; }
  if (m.type !== "delta" || !board) return false;
  if (m.prev_seq !== board.seq) return "resync";
  const up = (items, news) => { for (const n of news) { const i = items.findIndex(x => x.id === n.id); if (i >= 0) items[i] = n; else items.push(n); } };
  up(board.departures, m.upsert.departures); up(board.notices, m.upsert.notices); up(board.advisories, m.upsert.advisories);
  board.departures = board.departures.filter(d => !m.remove.departures.includes(d.id));
  board.notices = board.notices.filter(n => !m.remove.notices.includes(n.id));
  board.advisories = board.advisories.filter(a => !m.remove.advisories.includes(a.id));
  if (m.order) board.departures.sort((a, b) => m.order.indexOf(a.id) - m.order.indexOf(b.id));
  if (m.notice_order) board.notices.sort((a, b) => m.notice_order.indexOf(a.id) - m.notice_order.indexOf(b.id));
  if (m.advisory_order) board.advisories.sort((a, b) => m.advisory_order.indexOf(a.id) - m.advisory_order.indexOf(b.id));
  board.next_service = m.next_service; board.emergency = m.emergency; board.seq = m.seq;
  if (m.facilities) board.facilities = m.facilities;
  offset = Date.parse(m.generated_at) - Date.now();
  return true;
}

let retry = 500;
function connect() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/stream");
  ws.onopen = () => {
    retry = 500;
    const sub = { op: "subscribe", station: config.station };
    if (board) sub.since = board.seq;
    ws.send(JSON.stringify(sub));
  };
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "heartbeat" || m.type === "error" || m.type === "announce") return;
    const r = apply(m);
    if (r === "resync") { ws.send(JSON.stringify({ op: "subscribe", station: config.station, since: board.seq })); return; }
    live = true; render();
  };
  ws.onclose = () => {
    live = false; render();
    setTimeout(connect, retry + Math.random() * retry);
    retry = Math.min(retry * 2, 30000);
  };
}

// A deep link from a kiosk's QR code ("continue on your phone"):
// ?view=lines | line&route=ID | trip&trip=ID | disruptions | parking opens the
// same view here, above the board. Lines and trips are asked of the REST API
// (and again every 30 s); disruptions and parking are the board's sections,
// scrolled to.
const params = new URLSearchParams(location.search);
const view = params.get("view");
let viewData = null;
let scrolled = false;
let loading = false;
// What the view section shows (data version and language): rebuilt only
// when it changes, not at each board message (a reader's focus stays put).
let viewVersion = 0;
let rendered = null;

async function getJSON(path) {
  const r = await fetch(path);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.error ? body.error.message : "HTTP " + r.status);
  return body;
}

function viewLink(extra) {
  // The access point's continue URL goes along: Accept still works after a link.
  const cont = params.get("continue");
  return "/portal?station=" + encodeURIComponent(config.station) + "&" + extra +
    (cont ? "&continue=" + encodeURIComponent(cont) : "");
}

async function loadView() {
  if (loading) return;
  loading = true;
  const station = encodeURIComponent(config.station);
  const before = viewData;
  try {
    if (view === "lines") {
      viewData = { kind: "lines", routes: await getJSON("/v1/stations/" + station + "/routes") };
    } else if (view === "line" && params.get("route")) {
      const id = encodeURIComponent(params.get("route"));
      const [route, next] = await Promise.all([
        getJSON("/v1/routes/" + id), getJSON("/v1/routes/" + id + "/departures?station=" + station + "&limit=8")]);
      viewData = { kind: "line", route, next };
    } else if (view === "trip" && params.get("trip")) {
      viewData = { kind: "trip", trip: await getJSON("/v1/trips/" + encodeURIComponent(params.get("trip"))) };
    } else {
      viewData = { kind: view, error: view === "line" || view === "trip" ? "no " + (view === "line" ? "route" : "trip") + " named" : "no such view" };
    }
  } catch (e) {
    // A refresh that fails keeps what was shown; a first one says why.
    if (!before || before.error) viewData = { kind: view, error: String(e.message || e) };
  } finally {
    loading = false;
  }
  viewVersion += 1;
  renderView();
}

function noticeDiv(n) {
  const div = el("div", "notice"); div.appendChild(el("strong", "", (n.accessibility ? "♿ " : "") + pick(n.header)));
  if (pick(n.description)) div.appendChild(el("div", "", pick(n.description)));
  return div;
}

function badgeOf(route) {
  const b = el("span", "badge", route.short_name || route.long_name || "");
  b.style.background = route.color; b.style.color = route.text_color;
  return b;
}

function renderView() {
  const sec = document.getElementById("view");
  document.body.dataset.view = view || "home";
  if (!view || view === "disruptions" || view === "parking" || view === "home") {
    sec.hidden = true;
    if (!scrolled && board && (view === "disruptions" || view === "parking")) {
      const target = document.getElementById(view === "parking" ? "facilities" : "notices");
      const advisories = document.getElementById("advisories");
      (view === "disruptions" && target.hidden ? advisories : target).scrollIntoView();
      scrolled = true;
    }
    return;
  }
  sec.hidden = false;
  const key = viewVersion + ":" + lang;
  if (rendered === key) return;
  rendered = key;
  const w = words[lang];
  const back = el("a", "", w.to_board); back.href = viewLink("view=home");
  const parts = [back];
  if (!viewData) parts.push(el("p", "", w.loading));
  else if (viewData.error) parts.push(el("p", "status late", w.unavailable + " (" + viewData.error + ")"));
  else if (viewData.kind === "lines") {
    parts.push(el("h2", "", w.lines));
    const ul = el("ul");
    for (const r of viewData.routes.routes) {
      const a = el("a"); a.href = viewLink("view=line&route=" + encodeURIComponent(r.id));
      a.append(badgeOf(r.route), " " + (r.route.long_name || ""));
      const li = el("li"); li.appendChild(a); ul.appendChild(li);
    }
    parts.push(ul);
  } else if (viewData.kind === "line") {
    const { route, next } = viewData;
    const h = el("h2"); h.append(badgeOf(route.route), " " + (route.route.long_name || "")); parts.push(h);
    for (const n of route.notices) {
      parts.push(noticeDiv(n));
    }
    parts.push(el("h3", "", w.next_here));
    const ol = el("ol");
    for (const d of next.departures) {
      const a = el("a", d.status === "cancelled" ? "struck" : "", hhmm(d.expected || d.scheduled) + " → " + d.headsign +
        (d.platform ? " · " + w[d.mode === "rail" ? "track" : "platform"] + " " + d.platform : "") + " · " + w[d.status]);
      a.href = viewLink("view=trip&trip=" + encodeURIComponent(d.id));
      const li = el("li"); li.appendChild(a); ol.appendChild(li);
    }
    parts.push(ol);
    for (const dir of route.directions) {
      parts.push(el("h3", "", w.towards + " " + dir.headsign));
      parts.push(el("p", "", dir.stops.map(s => s.name).join(" · ")));
    }
  } else if (viewData.kind === "trip") {
    const t = viewData.trip;
    const h = el("h2"); h.append(badgeOf(t.route), " → " + t.headsign + (t.trip_number ? " (" + t.trip_number + ")" : "")); parts.push(h);
    if (t.cancelled) parts.push(el("p", "status cancelled", w.trip_cancelled));
    for (const n of t.notices) {
      parts.push(noticeDiv(n));
    }
    parts.push(el("h3", "", w.stops));
    const ol = el("ol");
    for (const c of t.calls) {
      const planned = c.scheduled_departure || c.scheduled_arrival;
      const expected = c.expected_departure || c.expected_arrival;
      let text = hhmm(expected || planned) + " " + c.stop_name;
      if (expected && planned && hhmm(expected) !== hhmm(planned)) text += " (" + w.planned + " " + hhmm(planned) + ")";
      if (c.platform) text += " · " + w[t.mode === "rail" ? "track" : "platform"] + " " + c.platform;
      if (c.status !== "on_time" && c.status !== "scheduled") text += " · " + w[c.status];
      const notes = [];
      if (t.vehicle && t.vehicle.stop_sequence === c.stop_sequence) notes.push(t.vehicle.stopped ? "● " + w.vehicle_here : "▼ " + w.vehicle_coming);
      if (c.departure_id === params.get("trip")) notes.push("◆ " + w.here);
      const li = el("li", c.status === "departed" ? "gone" : c.status === "cancelled" || c.status === "skipped" ? "struck" : "", text);
      if (notes.length) { li.appendChild(el("div", "status here", notes.join(" · "))); }
      if (c.departure_id === params.get("trip")) li.setAttribute("aria-current", "location");
      ol.appendChild(li);
    }
    parts.push(ol);
  }
  sec.replaceChildren(...parts);
}

if (view && !["home", "disruptions", "parking"].includes(view)) {
  loadView();
  if (["line", "trip", "lines"].includes(view)) setInterval(loadView, 30000);
}

document.getElementById("lang").onclick = () => { lang = lang === "fr" ? "en" : "fr"; render(); };
const accept = document.getElementById("accept");
if (config.continue_url) accept.href = config.continue_url; else accept.removeAttribute("href");
function tick() {
  document.getElementById("clock").textContent = new Date(Date.now() + offset).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", timeZone: config.timezone });
}
setInterval(tick, 1000);
tick();
render();
connect();
