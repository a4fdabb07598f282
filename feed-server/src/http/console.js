"use strict";
const CAUSES = ["unknown_cause","other_cause","technical_problem","strike","demonstration","accident","holiday","weather","maintenance","construction","police_activity","medical_emergency"];
const EFFECTS = ["no_service","reduced_service","significant_delays","detour","additional_service","modified_service","other_effect","unknown_effect","stop_moved","no_effect","accessibility_issue"];
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("quai-token") || "";
let editing = null;

for (const [id, values] of [["cause", CAUSES], ["effect", EFFECTS]]) {
  for (const v of values) { const o = document.createElement("option"); o.value = v; o.textContent = v; $(id).appendChild(o); }
}

async function api(method, path, body, version) {
  const headers = { "Authorization": "Bearer " + token };
  if (body) headers["Content-Type"] = "application/json";
  if (version !== undefined) headers["If-Match"] = '"' + version + '"';
  const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const data = await r.json().catch(() => null);
  if (!r.ok) throw { status: r.status, data };
  return data;
}

function describe(e) {
  if (!e || !e.data || !e.data.error) return "erreur / error";
  const f = e.data.error.fields || {};
  return e.data.error.message + Object.entries(f).map(([k, v]) => " · " + k + ": " + v).join("");
}

function preview() {
  const fr = $("screen-fr").value || $("header-fr").value;
  $("preview").textContent = fr;
  $("count-fr").textContent = $("screen-fr").value.length + "/140";
  $("count-en").textContent = $("screen-en").value.length + "/140";
}
for (const id of ["screen-fr", "screen-en", "header-fr"]) $(id).addEventListener("input", preview);

function rfc3339(local) {
  if (!local) return null;
  const d = new Date(local);
  const off = -d.getTimezoneOffset(), sign = off >= 0 ? "+" : "-", a = Math.abs(off);
  const pad = (n) => String(n).padStart(2, "0");
  return local.length === 16 ? local + ":00" + sign + pad(Math.floor(a / 60)) + ":" + pad(a % 60) : null;
}

// New notice: only the languages filled in. Edit (a JSON merge patch): an emptied
// language is sent as null, which removes it.
function texts(fr, en) {
  const t = {};
  if (fr || editing) t.fr = fr || null;
  if (en || editing) t.en = en || null;
  return t;
}
function localInput(iso) {
  if (!iso) return "";
  const d = new Date(iso), pad = (n) => String(n).padStart(2, "0");
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
}
// The form shows one station and one route; other entities cannot be edited here.
function simpleEntities(n) {
  const stations = n.informed_entities.filter(e => e.station !== undefined);
  const routes = n.informed_entities.filter(e => e.route_id !== undefined);
  return stations.length === 1 && routes.length <= 1 && stations.length + routes.length === n.informed_entities.length;
}

async function refresh() {
  const notices = await api("GET", "/v1/notices");
  const tbody = $("list");
  tbody.replaceChildren();
  for (const n of notices.slice().reverse()) {
    const tr = document.createElement("tr");
    tr.dataset.id = n.id;
    const td = (text) => { const c = document.createElement("td"); c.textContent = text; return c; };
    const on = (n.shown_on || []).length ? n.shown_on.join(", ") : "—";
    tr.append(td(n.header.fr || Object.values(n.header)[0] || n.id), td(n.status), td(String(n.version)), td(on));
    const actions = document.createElement("td");
    if (n.status !== "ended") {
      const edit = document.createElement("button"); edit.type = "button"; edit.textContent = "Modifier"; edit.className = "edit";
      edit.onclick = () => startEdit(n);
      const end = document.createElement("button"); end.type = "button"; end.textContent = "Terminer"; end.className = "end";
      end.onclick = async () => { try { await api("DELETE", "/v1/notices/" + encodeURIComponent(n.id), null, n.version); await refresh(); } catch (e) { $("form-error").textContent = describe(e); } };
      actions.append(edit, end);
    }
    tr.appendChild(actions);
    tbody.appendChild(tr);
  }
}

function startEdit(n) {
  editing = n;
  $("form-title").textContent = "Modifier l'avis " + n.id;
  $("submit").textContent = "Enregistrer";
  $("cancel-edit").hidden = false;
  $("severity").value = n.severity; $("cause").value = n.cause; $("effect").value = n.effect; $("status").value = n.status;
  $("header-fr").value = n.header.fr || ""; $("header-en").value = n.header.en || "";
  $("screen-fr").value = (n.screen_text || {}).fr || ""; $("screen-en").value = (n.screen_text || {}).en || "";
  $("desc-fr").value = (n.description || {}).fr || ""; $("desc-en").value = (n.description || {}).en || "";
  const simple = simpleEntities(n);
  $("station").disabled = !simple; $("route").disabled = !simple;
  if (simple) {
    $("station").value = n.informed_entities.find(e => e.station !== undefined).station;
    const route = n.informed_entities.find(e => e.route_id !== undefined);
    $("route").value = route ? route.route_id : "";
  }
  $("from").value = localInput(n.publication && n.publication.start);
  $("until").value = localInput(n.publication && n.publication.end);
  preview();
}
$("cancel-edit").onclick = () => { editing = null; $("form").reset(); $("station").disabled = false; $("route").disabled = false; $("form-title").textContent = "Nouvel avis"; $("submit").textContent = "Publier"; $("cancel-edit").hidden = true; preview(); };

$("form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("form-error").textContent = "";
  const entities = [{ station: $("station").value }];
  if ($("route").value.trim()) entities.push({ route_id: $("route").value.trim() });
  const body = {
    severity: $("severity").value, cause: $("cause").value, effect: $("effect").value, status: $("status").value,
    header: texts($("header-fr").value, $("header-en").value),
    description: texts($("desc-fr").value, $("desc-en").value),
    screen_text: texts($("screen-fr").value, $("screen-en").value),
    publication: { start: rfc3339($("from").value), end: rfc3339($("until").value) },
  };
  // Entities the form cannot show are left as they are.
  if (!editing || simpleEntities(editing)) body.informed_entities = entities;
  try {
    if (editing) await api("PATCH", "/v1/notices/" + encodeURIComponent(editing.id), body, editing.version);
    else await api("POST", "/v1/notices", body);
    $("cancel-edit").onclick();
    await refresh();
  } catch (e) { $("form-error").textContent = describe(e); }
});

// Emergency takeovers: a separate form, reviewed before it is sent.
function emergencyBody() {
  const t = (fr, en) => { const o = {}; if (fr.trim()) o.fr = fr; if (en.trim()) o.en = en; return o; };
  const stations = $("em-all").checked ? "*" : Array.from($("em-stations").selectedOptions).map(o => o.value);
  return {
    stations,
    screen_text: t($("em-fr").value, $("em-en").value),
    tts_text: t($("em-tts-fr").value, $("em-tts-en").value),
    ends_at: rfc3339($("em-until").value),
    repeat_s: Number($("em-repeat").value) || 60,
  };
}
async function refreshEmergencies() {
  let running = [];
  try { running = await api("GET", "/v1/emergencies"); } catch (e) { $("em-error").textContent = describe(e); }
  $("emergency-list").replaceChildren(...running.map(em => {
    const tr = document.createElement("tr");
    tr.dataset.id = em.id;
    const td = (text) => { const c = document.createElement("td"); c.textContent = text; return c; };
    const stations = em.input.stations === "*" ? "*" : em.input.stations.join(", ");
    const end = document.createElement("button"); end.type = "button"; end.textContent = "Terminer / end"; end.className = "danger";
    end.onclick = async () => {
      if (!window.confirm("Terminer la prise de contrôle " + em.id + " ? / End this takeover?")) return;
      try { await api("DELETE", "/v1/emergencies/" + encodeURIComponent(em.id)); await refreshEmergencies(); } catch (e) { $("em-error").textContent = describe(e); }
    };
    const actions = document.createElement("td"); actions.appendChild(end);
    tr.append(td(em.input.screen_text.fr || em.id), td(stations), td(new Date(em.input.ends_at).toLocaleString()), actions);
    return tr;
  }));
}
// What was reviewed is what is sent: the form is locked until back or sent.
let reviewed = null;
function lockEmergencyForm(locked) {
  for (const id of ["em-stations", "em-all", "em-until", "em-repeat", "em-fr", "em-en", "em-tts-fr", "em-tts-en"]) $(id).disabled = locked;
}
$("emergency-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  $("em-error").textContent = "";
  const b = emergencyBody();
  reviewed = b;
  lockEmergencyForm(true);
  const where = b.stations === "*" ? "TOUTES les gares / ALL stations" : b.stations.join(", ");
  $("em-summary").textContent = "Les écrans de : " + where + "\nafficheront et liront : « " + (b.screen_text.fr || "") + " »\njusqu'à / until " + $("em-until").value.replace("T", " ");
  $("em-confirm").hidden = false;
  $("em-review").hidden = true;
});
$("em-back").onclick = () => { reviewed = null; lockEmergencyForm(false); $("em-confirm").hidden = true; $("em-review").hidden = false; };
$("em-go").onclick = async () => {
  if (!reviewed) return;
  try {
    await api("POST", "/v1/emergencies", reviewed);
    $("em-back").onclick(); $("emergency-form").reset();
    await refreshEmergencies();
  } catch (e) { $("em-error").textContent = describe(e); }
};

// The screens: health in words (never colour alone), refreshed every 15 s;
// « voir » asks one for a picture and shows it.
const HEALTH = {
  ok: "en service / ok",
  silent: "muet / silent",
  not_live: "pas en direct / not live",
  behind: "en retard / behind",
};
const SHOWS = { starting: "démarrage", live: "direct", not_live: "horaires théoriques", no_service: "pas de service", takeover: "urgence" };
function since(iso) { return new Date(iso).toLocaleString(); }
async function refreshScreens() {
  let screens = [];
  try { screens = await api("GET", "/v1/screens"); $("screens-error").textContent = ""; }
  catch (e) { $("screens-error").textContent = describe(e); return; }
  $("screens-empty").hidden = screens.length > 0;
  $("screen-list").replaceChildren(...screens.map(s => {
    const tr = document.createElement("tr");
    tr.dataset.id = s.id;
    tr.className = "health-" + s.health;
    const td = (text) => { const c = document.createElement("td"); c.textContent = text; return c; };
    let health = HEALTH[s.health] || s.health;
    if (s.health !== "ok") health += " depuis / since " + since(s.health_since);
    if (s.behind_by) health += " (" + s.behind_by + " seq)";
    const shows = (SHOWS[s.report.shows] || s.report.shows) + " · seq " + (s.report.seq ?? "—") +
      " · " + s.report.layout + " · p. " + s.report.page + "/" + s.report.pages + " · " + s.report.lang;
    const look = document.createElement("button"); look.type = "button"; look.textContent = "Voir / look"; look.className = "look";
    look.onclick = () => screenshot(s.id);
    const actions = document.createElement("td"); actions.appendChild(look);
    // A thumbnail of its latest picture, when it sent one.
    const thumb = document.createElement("td");
    if (s.screenshot_at) {
      const img = document.createElement("img"); img.className = "thumb"; img.alt = "Écran " + s.id + ", " + since(s.screenshot_at);
      thumb.appendChild(img);
      picture(s.id, s.screenshot_at).then(url => { if (url) img.src = url; });
    }
    tr.append(td(s.id), td(s.report.station), td(health), td(shows), td(since(s.reported_at) + " (" + s.age_s + " s)"), thumb, actions);
    return tr;
  }));
}
// A screen's latest picture as a data: URL (the page's policy allows no
// blob:), or null; fetched again only when the server says it changed.
const pictures = {};
async function picture(id, at) {
  if (at && pictures[id] && pictures[id].at === at) return pictures[id].url;
  const r = await fetch("/v1/screens/" + encodeURIComponent(id) + "/screenshot", { headers: { "Authorization": "Bearer " + token } });
  if (!r.ok) return null;
  const blob = await r.blob();
  const url = await new Promise(done => { const f = new FileReader(); f.onload = () => done(f.result); f.readAsDataURL(blob); });
  pictures[id] = { at: at || r.headers.get("Last-Modified"), url, modified: r.headers.get("Last-Modified") };
  return url;
}
async function screenshot(id) {
  const path = "/v1/screens/" + encodeURIComponent(id) + "/screenshot";
  $("screens-error").textContent = "";
  // The picture there was before asking (none: null): a new one differs.
  const before = await fetch(path, { method: "HEAD", headers: { "Authorization": "Bearer " + token } })
    .then(r => r.ok ? r.headers.get("Last-Modified") : null).catch(() => null);
  try { await api("POST", path); } catch (e) { $("screens-error").textContent = describe(e); return; }
  for (let i = 0; i < 40; i++) {
    await new Promise(r => setTimeout(r, 500));
    const r = await fetch(path, { method: "HEAD", headers: { "Authorization": "Bearer " + token } });
    const when = r.ok ? r.headers.get("Last-Modified") : null;
    // Last-Modified has whole seconds: a picture within the same second as
    // the one before is taken as new after two tries.
    if (when && (when !== before || i >= 2)) {
      const url = await picture(id, when + "#" + i);
      if (!url) continue;
      $("shot").src = url;
      $("shot").alt = "Écran " + id;
      $("shot-caption").textContent = id + " · " + new Date().toLocaleString();
      $("shot-figure").hidden = false;
      await refreshScreens();
      return;
    }
  }
  $("screens-error").textContent = "L'écran " + id + " n'a pas répondu (éteint ou déconnecté ?) / no answer from " + id;
}

async function signin() {
  token = $("token").value.trim() || token;
  try {
    await refresh();
    sessionStorage.setItem("quai-token", token);
    const stations = await (await fetch("/v1/stations")).json();
    $("station").replaceChildren(...stations.map(s => { const o = document.createElement("option"); o.value = s.id; o.textContent = s.name; return o; }));
    $("em-stations").replaceChildren(...stations.map(s => { const o = document.createElement("option"); o.value = s.id; o.textContent = s.name; return o; }));
    await refreshEmergencies();
    await refreshScreens();
    if (!window.screensTimer) window.screensTimer = setInterval(refreshScreens, 15000);
    $("signin").hidden = true; $("app").hidden = false;
  } catch (e) { $("signin-error").textContent = e.status === 401 ? "Jeton refusé / token refused" : describe(e); }
}
$("signin-button").onclick = signin;
if (token) signin();
preview();
