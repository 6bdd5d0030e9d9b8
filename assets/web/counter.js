// The counter page: signs in with a counter's token, shows the counter's ticket and
// the tickets it will call, and follows the hall's event stream to stay current.
// Plain browser JavaScript, no build step, no libraries, nothing from the internet.
"use strict";

const TOKEN_KEY = "motcua.counter.token";
const COUNTER_KEY = "motcua.counter.id";
const EVENTS = [
  "ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.finished",
  "ticket.no_show", "ticket.transferred", "ticket.expired", "ticket.rated",
  "counter.opened", "counter.closed", "day.started", "stream.reset", "dossier.updated",
];
const DOSSIER_STATUS = {
  received: "Đã tiếp nhận", in_progress: "Đang xử lý", needs_documents: "Cần bổ sung giấy tờ",
  needs_payment: "Chờ nộp phí", result_ready: "Đã có kết quả", returned: "Đã trả kết quả",
  cancelled: "Dừng xử lý",
};
const LEVELS = {
  very_satisfied: "Rất hài lòng", satisfied: "Hài lòng",
  neutral: "Bình thường", unsatisfied: "Không hài lòng",
};
const STATUS = { called: "Đã gọi, chờ công dân đến", serving: "Đang phục vụ" };

const $ = (id) => document.getElementById(id);
const state = {
  token: localStorage.getItem(TOKEN_KEY),
  me: null,
  counterId: null,
  counters: [],
  services: [],
  counter: null,
  busy: false,
  events: null,
  refreshTimer: null,
  hallDay: null,
  // The last action, the desk's ticket it was pressed for, and when it was done.
  lastAction: null,
};

/** The same button again this soon after it acted is a double press, not a decision. */
const REACTION_MS = 700;

/**
 * The id of the ticket the clerk saw at the desk when pressing `action` (null: none).
 * Every action names it, and the service acts only if it is still at the desk; a
 * double press names the ticket the first press was for, so it acts once.
 */
function seenAtDesk(action) {
  const last = state.lastAction;
  if (last && last.name === action && Date.now() - last.at < REACTION_MS) return last.current;
  const t = state.counter && state.counter.current;
  return t ? t.id : null;
}

// ---- talking to the hall service ------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers["Authorization"] = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method, headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "offline", "no answer");
  }
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(res.status, err.code || "http_" + res.status, err.message || res.statusText);
  }
  return data;
}

/** What went wrong, in words for the person at the counter. */
function inWords(e) {
  const byCode = {
    offline: "Không kết nối được máy chủ của sảnh. Kiểm tra mạng rồi thử lại.",
    invalid_token: "Mã đăng nhập không đúng.",
    missing_token: "Cần đăng nhập lại.",
    forbidden: "Mã này không được thao tác trên quầy này.",
    counter_closed: "Quầy đang đóng. Bấm “Mở quầy” trước khi gọi số.",
    no_current_ticket: "Quầy chưa có số nào đang gọi hoặc đang phục vụ.",
    wrong_ticket_status: "Số này không ở trạng thái phù hợp (có thể vừa được xử lý ở nơi khác).",
    counter_busy: "Quầy còn số đang phục vụ: hoàn thành, chuyển hoặc báo vắng trước khi đóng.",
    stale: "Số ở quầy vừa thay đổi (có thể do bấm hai lần), nên chưa làm gì: xem lại số đang ở quầy rồi bấm.",
    invalid_transfer: "Không chuyển được: chọn lĩnh vực hoặc quầy khác.",
    unknown_counter: "Không có quầy này.",
    nothing_to_rate: "Chưa có lượt phục vụ nào để ghi đánh giá.",
    already_rated: "Lượt phục vụ này đã được đánh giá.",
    storage_unavailable: "Máy chủ đang bận, chưa ghi được. Xin thử lại.",
    invalid_range: "Khoảng ngày không hợp lệ (tối đa 366 ngày).",
    invalid_dossier_code: "Mã hồ sơ không hợp lệ (chỉ gồm chữ, số, dấu chấm và gạch ngang).",
    invalid_dossier: /phone/.test(e.message)
      ? "Số điện thoại phải có 10 chữ số, bắt đầu bằng 0 (hoặc +84)."
      : /at most/.test(e.message)
        ? "Thông tin quá dài (tối đa 200 ký tự một ô)."
        : "Thông tin hồ sơ chưa đúng: " + e.message,
    unknown_dossier: "Không có hồ sơ này.",
    no_printer: "Quầy này chưa có máy in phiếu hẹn.",
    printer_unavailable: "Máy in chưa in được: " + e.message,
  };
  return byCode[e.code] || ("Lỗi: " + e.message);
}

function say(text, kind) {
  const m = $("message");
  m.textContent = text;
  m.className = "message " + (kind || "");
}

// ---- signing in ---------------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api("GET", "/api/v1/me");
  } catch (e) {
    state.token = null;
    localStorage.removeItem(TOKEN_KEY);
    showSignIn(inWords(e));
    return;
  }
  if (state.me.role !== "counter" && state.me.role !== "admin") {
    state.token = null;
    showSignIn("Mã này của " + state.me.name + " không dùng cho quầy.");
    return;
  }
  localStorage.setItem(TOKEN_KEY, token);
  $("who").textContent = state.me.name;
  $("signout").hidden = false;
  $("signin").hidden = true;
  await loadHall();
  $("dossiers").hidden = false;
  loadDossiers();
  if (state.me.role === "counter") {
    chooseCounter(state.me.counter);
  } else {
    $("stats").hidden = false;
    $("devices").hidden = false;
    loadDevices();
    const remembered = Number(localStorage.getItem(COUNTER_KEY));
    if (state.counters.some((c) => c.id === remembered)) chooseCounter(remembered);
    else showPick();
    loadStats();
  }
  follow();
}

function showSignIn(error) {
  $("signin").hidden = false;
  $("desk").hidden = true;
  $("pick").hidden = true;
  $("stats").hidden = true;
  $("devices").hidden = true;
  $("dossiers").hidden = true;
  $("signout").hidden = true;
  $("who").textContent = "";
  const hint = $("signin").querySelector(".hint");
  if (error) {
    hint.textContent = error;
    hint.classList.add("error");
  }
  $("token").focus();
}

function signOut() {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(COUNTER_KEY);
  location.reload();
}

async function loadHall() {
  const [hall, counters, services] = await Promise.all([
    api("GET", "/api/v1/hall"), api("GET", "/api/v1/counters"), api("GET", "/api/v1/services"),
  ]);
  $("hall").textContent = hall.name;
  document.title = "Quầy – " + hall.name;
  state.hallDay = hall.day;
  state.reasons = hall.rating_reasons || [];
  state.counters = counters;
  state.services = services;
}

function showPick() {
  $("pick").hidden = false;
  $("desk").hidden = true;
  const list = $("pick-list");
  list.replaceChildren(...state.counters.map((c) => {
    const b = document.createElement("button");
    b.textContent = c.name;
    b.addEventListener("click", () => chooseCounter(c.id));
    return b;
  }));
}

function chooseCounter(id) {
  state.counterId = id;
  if (state.me.role === "admin") localStorage.setItem(COUNTER_KEY, String(id));
  const c = state.counters.find((x) => x.id === id);
  $("title").textContent = c ? c.name : "Quầy " + id;
  $("pick").hidden = true;
  $("desk").hidden = false;
  refresh();
}

// ---- the desk -----------------------------------------------------------------------

function serviceName(code) {
  const s = state.services.find((x) => x.code === code);
  return s ? s.name.vi : code;
}

function minutesSince(iso) {
  return Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
}

async function refresh() {
  if (state.counterId === null) return;
  try {
    const [counters, queue] = await Promise.all([
      api("GET", "/api/v1/counters"),
      api("GET", "/api/v1/counters/" + state.counterId + "/queue"),
    ]);
    state.counters = counters;
    state.counter = counters.find((c) => c.id === state.counterId) || null;
    render(queue);
  } catch (e) {
    say(inWords(e), "error");
  }
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(refresh, 120);
}

function render(queue) {
  const c = state.counter;
  if (!c) return;
  const t = c.current;
  $("open-state").textContent = c.open ? "Đang mở" : "Đang đóng";
  $("open-state").className = "badge" + (c.open ? "" : " closed");
  $("toggle-open").textContent = c.open ? "Đóng quầy" : "Mở quầy";
  $("current-number").textContent = t ? t.number : "—";
  const detail = $("current-detail");
  if (t) {
    const prio = t.priority ? " · ưu tiên" : "";
    const recalls = t.recalls ? " · đã gọi lại " + t.recalls + " lần" : "";
    detail.replaceChildren();
    const b = document.createElement("b");
    b.textContent = serviceName(t.service);
    detail.append(b, " · " + (STATUS[t.status] || t.status) + prio + recalls +
      " · gọi " + minutesSince(t.last_called_at || t.called_at) + " phút trước");
  } else {
    detail.textContent = c.open ? "Chưa gọi số nào. Bấm “Gọi số tiếp”." : "Quầy đang đóng.";
  }
  const called = t && t.status === "called";
  $("call").disabled = !c.open;
  $("recall").disabled = !called;
  $("start").disabled = !called;
  $("no-show").disabled = !called;
  $("finish").disabled = !t;
  $("transfer").disabled = !t;

  const list = $("waiting-list");
  list.replaceChildren(...queue.map((w) => {
    const li = document.createElement("li");
    const n = document.createElement("span");
    n.className = "n";
    n.textContent = w.number;
    const l = document.createElement("span");
    l.className = "l";
    l.textContent = serviceName(w.service);
    if (w.priority) {
      const p = document.createElement("span");
      p.className = "prio";
      p.textContent = "Ưu tiên";
      l.append(p);
    }
    if (w.transfers) l.append(" (chuyển đến)");
    const m = document.createElement("span");
    m.className = "w";
    m.textContent = "chờ " + minutesSince(w.issued_at) + " phút";
    li.append(n, l, m);
    return li;
  }));
  $("waiting-count").textContent = String(queue.length);
  $("waiting-empty").hidden = queue.length > 0;
}

/** Runs one action at a time: a double click or a held key never calls twice. */
async function act(action, body) {
  if (state.busy || state.counterId === null) return;
  state.busy = true;
  document.body.classList.add("busy");
  try {
    const path = "/api/v1/counters/" + state.counterId + "/" + action;
    if (["call", "recall", "start", "finish", "no-show", "transfer"].includes(action)) {
      const current = seenAtDesk(action);
      state.lastAction = { name: action, current, at: Infinity };
      body = Object.assign({}, body, { current });
    }
    const res = await api("POST", path, body);
    if (action === "call") {
      if (res === null) say("Không còn ai chờ quầy này.", "");
      else say("Đã gọi số " + res.ticket.number + ".", "ok");
    } else if (res && res.ticket) {
      const words = {
        recall: "Đã gọi lại số ", start: "Bắt đầu phục vụ số ", finish: "Đã hoàn thành số ",
        "no-show": "Đã báo vắng số ", transfer: "Đã chuyển số ",
      };
      let text = (words[action] || "Xong: ") + res.ticket.number + ".";
      if (action === "recall" && res.ticket.status === "no_show") {
        text = "Số " + res.ticket.number + " đã quá số lần gọi lại: chuyển thành vắng mặt.";
      }
      say(text, "ok");
    } else {
      say(action === "open" ? "Quầy đã mở." : action === "close" ? "Quầy đã đóng." : "Xong.", "ok");
    }
  } catch (e) {
    say(inWords(e), "error");
  } finally {
    if (state.lastAction && state.lastAction.name === action) state.lastAction.at = Date.now();
    state.busy = false;
    document.body.classList.remove("busy");
    refresh();
  }
}

// "Không hài lòng" first asks why (the hall's reasons, or "not said").
function askWhy() {
  const why = $("rate-why");
  const label = why.querySelector("span");
  const choice = (text, reason) => {
    const b = document.createElement("button");
    b.textContent = text;
    b.addEventListener("click", () => { why.hidden = true; rate("unsatisfied", reason); });
    return b;
  };
  why.replaceChildren(label, ...state.reasons.map((r) => choice(r, r)), choice("Không nói lý do", null));
  why.hidden = false;
}

async function rate(level, reason) {
  if (state.busy) return;
  if (level === "unsatisfied" && reason === undefined && (state.reasons || []).length) {
    askWhy();
    return;
  }
  $("rate-why").hidden = true;
  state.busy = true;
  try {
    const body = { counter: state.counterId, level, source: "counter" };
    if (reason) body.reason = reason;
    const t = await api("POST", "/api/v1/ratings", body);
    say("Đã ghi đánh giá “" + LEVELS[level] + "”" + (reason ? " (" + reason + ")" : "") +
      " cho số " + t.number + ".", "ok");
  } catch (e) {
    say(inWords(e), "error");
  } finally {
    state.busy = false;
  }
}

function openTransfer() {
  const t = state.counter && state.counter.current;
  if (!t) return;
  $("transfer-number").textContent = t.number;
  const svc = $("transfer-service");
  svc.replaceChildren(new Option("(giữ lĩnh vực " + serviceName(t.service) + ")", ""),
    ...state.services.filter((s) => s.code !== t.service).map((s) => new Option(s.name.vi, s.code)));
  const ctr = $("transfer-counter");
  ctr.replaceChildren(new Option("(quầy nào cũng được)", ""),
    ...state.counters.filter((c) => c.id !== state.counterId).map((c) => new Option(c.name, String(c.id))));
  $("transfer-dialog").showModal();
}

function confirmTransfer(ev) {
  ev.preventDefault();
  const service = $("transfer-service").value || null;
  const counter = $("transfer-counter").value ? Number($("transfer-counter").value) : null;
  $("transfer-dialog").close();
  if (!service && !counter) {
    say("Chưa chọn nơi chuyển đến.", "error");
    return;
  }
  const body = {};
  if (service) body.service = service;
  if (counter) body.counter = counter;
  act("transfer", body);
}

// ---- live events ----------------------------------------------------------------------

function follow() {
  if (state.events) state.events.close();
  const es = new EventSource("/api/v1/events");
  state.events = es;
  const link = $("link");
  es.onopen = () => {
    link.textContent = "● Đã kết nối";
    link.classList.remove("down");
    scheduleRefresh();
  };
  es.onerror = () => {
    link.textContent = "● Mất kết nối, đang thử lại…";
    link.classList.add("down");
  };
  for (const name of EVENTS) {
    es.addEventListener(name, () => {
      scheduleRefresh();
      if (!$("stats").hidden && name === "ticket.rated") scheduleStats();
      if (name === "dossier.updated") scheduleDossiers();
    });
  }
}

// ---- dossiers -----------------------------------------------------------------------

let dossierTimer = null;
function scheduleDossiers() {
  clearTimeout(dossierTimer);
  dossierTimer = setTimeout(loadDossiers, 300);
}

function dateVi(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleDateString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" });
}

// "2026-11-24" in the hall's time zone, for a date input.
function localDate(iso) {
  return new Date(iso).toLocaleDateString("en-CA", { timeZone: "Asia/Ho_Chi_Minh" });
}

function item(parts) {
  const li = document.createElement("li");
  for (const [text, cls] of parts) {
    const span = document.createElement("span");
    if (cls) span.className = cls;
    span.textContent = text;
    li.append(span);
  }
  return li;
}

// A list entry that opens its dossier in the form above when clicked (or Enter).
function openable(code, li) {
  li.tabIndex = 0;
  li.classList.add("openable");
  const open = () => {
    $("d-code").value = code;
    findDossier();
    $("d-code").scrollIntoView({ block: "center" });
  };
  li.addEventListener("click", open);
  li.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
  return li;
}

async function loadDossiers() {
  try {
    const [open, outbox, link] = await Promise.all([
      api("GET", "/api/v1/dossiers?open=true"),
      api("GET", "/api/v1/outbox"),
      api("GET", "/api/v1/upstream"),
    ]);
    const overdue = open.filter((d) => d.overdue);
    $("overdue-count").textContent = String(overdue.length);
    $("overdue-list").replaceChildren(...overdue.map((d) => openable(d.code, item([
      [d.code, "code"], [" · " + (d.citizen_name || "") + " · " + d.procedure_name + " · hẹn ", ""],
      [dateVi(d.apology && d.apology.new_due_at ? d.apology.new_due_at : d.due_at), "late"],
    ]))));
    const ready = open.filter((d) => d.status === "result_ready");
    $("ready-count").textContent = String(ready.length);
    $("ready-list").replaceChildren(...ready.map((d) => item([
      [d.code, "code"], [" · " + (d.citizen_name || "") + (d.pickup ? " · " + d.pickup : ""), ""],
    ])));
    const failed = outbox.filter((m) => !m.sent_at && m.last_error);
    $("outbox-count").textContent = String(failed.length);
    $("outbox-list").replaceChildren(...failed.map((m) => item([
      [m.dossier, "code"],
      [" · " + (MESSAGE_KIND[m.kind] || m.kind) + " · " + (m.phone || "") + " · lần " + m.attempts + ": ", ""],
      [m.last_error, "late"],
    ])));
    const sent = outbox.filter((m) => m.sent_at).slice(0, 5);
    $("sent-list").replaceChildren(...sent.map((m) => item([
      [m.dossier, "code"],
      [" · " + (MESSAGE_KIND[m.kind] || m.kind) + " · " + (CHANNEL[m.channel] || m.channel || "") +
        " · " + timeVi(m.sent_at) + (m.last_error ? " (" + m.last_error + ")" : ""), ""],
    ])));
    const heard = link.last_success_at
      ? "Hệ thống một cửa của tỉnh: cập nhật lúc " +
        new Date(link.last_success_at).toLocaleTimeString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh" })
      : (link.configured ? "Hệ thống một cửa của tỉnh: chưa kết nối được" : "");
    $("upstream-link").textContent = heard + (link.last_error ? " · lỗi: " + link.last_error : "");
  } catch (e) {
    $("d-message").textContent = inWords(e);
  }
}

// Which way a message went, in the staff's words.
const CHANNEL = { zalo: "qua Zalo", sms: "qua SMS", webhook: "qua cổng tin nhắn" };

function timeVi(iso) {
  return new Date(iso).toLocaleTimeString("vi-VN", {
    timeZone: "Asia/Ho_Chi_Minh", hour: "2-digit", minute: "2-digit",
  });
}

// What each kind of message to a citizen is, in the staff's words.
const MESSAGE_KIND = {
  result_ready: "báo có kết quả", due_soon: "nhắc hẹn trả", overdue_apology: "xin lỗi trễ hẹn",
  needs_documents: "cần bổ sung", needs_payment: "chờ nộp phí", returned: "đã trả", cancelled: "đã hủy",
  received: "đã tiếp nhận", in_progress: "đang xử lý",
};

function dossierSay(text, kind) {
  const m = $("d-message");
  m.textContent = text;
  m.className = "message wide " + (kind || "");
}

function dossierCode() {
  return $("d-code").value.trim().toUpperCase();
}

async function findDossier() {
  const code = dossierCode();
  if (!code) return;
  try {
    const found = await api("GET", "/api/v1/dossiers?code=" + encodeURIComponent(code));
    if (!found.length) {
      dossierSay("Chưa có hồ sơ " + code + ". Điền thông tin rồi bấm “Lưu hồ sơ” để tiếp nhận.", "");
      return;
    }
    const d = found[0];
    $("d-procedure").value = d.procedure_name || "";
    $("d-name").value = d.citizen_name || "";
    $("d-due").value = d.due_at ? localDate(d.due_at) : "";
    $("d-new-due").value = d.apology && d.apology.new_due_at ? localDate(d.apology.new_due_at) : "";
    $("d-reason").value = d.apology && d.apology.reason ? d.apology.reason : "";
    $("d-phone").value = "";
    $("d-phone").placeholder = d.phone || "";
    $("d-id").value = "";
    $("d-id").placeholder = d.id_required ? "đã có (tra cứu cần 4 số cuối)" : "";
    $("d-consent").checked = !!d.notify_consent;
    const consent = d.notify_consent && d.consent_at ? " · đồng ý nhận tin từ " + dateVi(d.consent_at) : "";
    dossierSay(code + ": " + (DOSSIER_STATUS[d.status] || d.status) + consent + (d.overdue ? " · QUÁ HẠN" : ""),
      d.overdue ? "error" : "ok");
  } catch (e) {
    dossierSay(inWords(e), "error");
  }
}

async function saveDossier(extra) {
  const code = dossierCode();
  if (!code) {
    dossierSay("Nhập mã hồ sơ trước.", "error");
    return;
  }
  const body = Object.assign({}, extra || {});
  if (!extra) {
    if ($("d-procedure").value.trim()) body.procedure_name = $("d-procedure").value.trim();
    if ($("d-name").value.trim()) body.citizen_name = $("d-name").value.trim();
    if ($("d-due").value) body.due_at = $("d-due").value + "T16:30:00+07:00";
    if ($("d-new-due").value) {
      body.apology = { new_due_at: $("d-new-due").value + "T16:30:00+07:00" };
      if ($("d-reason").value.trim()) body.apology.reason = $("d-reason").value.trim();
    }
    if ($("d-phone").value.trim()) body.phone = $("d-phone").value.trim();
    if ($("d-id").value.trim()) body.id_number = $("d-id").value.trim();
    body.notify_consent = $("d-consent").checked;
  }
  try {
    const d = await api("PUT", "/api/v1/dossiers/" + encodeURIComponent(code), body);
    dossierSay("Đã lưu hồ sơ " + d.code + ": " + (DOSSIER_STATUS[d.status] || d.status) + ".", "ok");
    $("d-phone").value = "";
    $("d-phone").placeholder = d.phone || "";
    $("d-id").value = "";
    $("d-id").placeholder = d.id_required ? "đã có (tra cứu cần 4 số cuối)" : "";
    loadDossiers();
  } catch (e) {
    dossierSay(inWords(e), "error");
  }
}

function setDossierStatus(status) {
  const extra = { status };
  if (status === "result_ready" && state.counter) {
    extra.pickup = state.counter.name;
    extra.pickup_counter = state.counter.id;
  }
  saveDossier(extra);
}

async function printReceipt() {
  const code = dossierCode();
  if (!code || state.counterId === null) return;
  try {
    await api("POST", "/api/v1/dossiers/" + encodeURIComponent(code) + "/receipt",
      { counter: state.counterId });
    dossierSay("Đã in phiếu hẹn cho hồ sơ " + code + ".", "ok");
  } catch (e) {
    dossierSay(inWords(e), "error");
  }
}

// ---- statistics (admin) -------------------------------------------------------------

let statsTimer = null;
function scheduleStats() {
  clearTimeout(statsTimer);
  statsTimer = setTimeout(loadStats, 2000);
}

function statsQuery() {
  if (!$("stats-from").value) $("stats-from").value = state.hallDay;
  if (!$("stats-to").value) $("stats-to").value = state.hallDay;
  return "from=" + $("stats-from").value + "&to=" + $("stats-to").value;
}

function fmtMinutes(s) {
  return s === null || s === undefined ? "—" : (s / 60).toFixed(1);
}

async function loadStats() {
  const body = $("stats-body");
  let s;
  try {
    s = await api("GET", "/api/v1/stats?" + statsQuery());
  } catch (e) {
    body.textContent = inWords(e);
    return;
  }
  const table = document.createElement("table");
  const head = ["", "Cấp số", "Đã phục vụ", "Vắng", "Chờ TB (phút)", "Phục vụ TB (phút)", "Đánh giá",
    ...Object.values(LEVELS)];
  const tr = document.createElement("tr");
  for (const h of head) {
    const th = document.createElement("th");
    th.textContent = h;
    tr.append(th);
  }
  table.append(tr);
  const row = (name, f, cls) => {
    const r = document.createElement("tr");
    if (cls) r.className = cls;
    const cells = [name, f.issued, f.served, f.no_show, fmtMinutes(f.avg_wait_s),
      fmtMinutes(f.avg_service_s), f.rated,
      ...Object.keys(LEVELS).map((l) => f.rated ? f.satisfaction_percent[l].toFixed(1) + "%" : "—")];
    for (const v of cells) {
      const td = document.createElement("td");
      td.textContent = String(v);
      r.append(td);
    }
    table.append(r);
  };
  row("Toàn sảnh", s.hall, "total");
  for (const l of s.services) row(l.name.vi, l);
  for (const c of s.counters) row(c.name, c);
  // Why citizens were not satisfied, for the whole hall (per counter in the CSV).
  const why = document.createElement("p");
  why.className = "hint";
  const given = (s.reason_names || []).filter((r) => s.hall.reasons && s.hall.reasons[r]);
  why.textContent = given.length
    ? "Lý do chưa hài lòng: " + given.map((r) => r + " " + s.hall.reasons[r]).join(" · ")
    : "Chưa có lý do chưa hài lòng nào được ghi.";
  why.id = "stats-reasons";
  body.replaceChildren(table, why);
}

// ---- devices (admin) ----------------------------------------------------------------

const DEVICE_ROLE = {
  kiosk: "Kiosk lấy số", display: "Màn hình phòng chờ", rating: "Màn hình đánh giá", pad: "Bàn phím quầy",
};
const PRINTER = {
  ready: "sẵn sàng", paper_low: "sắp hết giấy", paper_out: "hết giấy", cover_open: "mở nắp",
  cutter_error: "lỗi dao cắt", offline: "tạm ngừng", unreachable: "không kết nối được", unknown: "không rõ",
};

function uptimeVi(s) {
  if (s === null || s === undefined) return "—";
  if (s < 3600) return Math.floor(s / 60) + " phút";
  if (s < 86400) return Math.floor(s / 3600) + " giờ";
  return Math.floor(s / 86400) + " ngày";
}

let devicesTimer = null;
async function loadDevices() {
  clearTimeout(devicesTimer);
  if ($("devices").hidden) return;
  devicesTimer = setTimeout(loadDevices, 30000);
  const body = $("devices-body");
  let devices;
  try {
    devices = await api("GET", "/api/v1/devices");
  } catch (e) {
    body.textContent = inWords(e);
    return;
  }
  if (!devices.length) {
    body.textContent = "Chưa có thiết bị nào báo về.";
    return;
  }
  const table = document.createElement("table");
  const head = document.createElement("tr");
  for (const h of ["Thiết bị", "Loại", "Tình trạng", "Máy in", "Phiên bản", "Đã chạy", "Lỗi gần nhất"]) {
    const th = document.createElement("th");
    th.textContent = h;
    head.append(th);
  }
  table.append(head);
  for (const d of devices) {
    const r = document.createElement("tr");
    const cell = (text, cls) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      r.append(td);
    };
    // A kiosk's series tells which kiosk gave out a ticket numbered A-K1-007.
    cell(d.series && !d.name.includes(d.series) ? d.name + " (" + d.series + ")" : d.name);
    cell(DEVICE_ROLE[d.role] || d.role || "—");
    const waiting = d.journal_waiting
      ? " · " + d.journal_waiting + " vé cấp khi mất kết nối chưa vào hàng đợi" : "";
    cell((d.online ? "Đang hoạt động"
      : "Mất liên lạc" + (d.last_seen ? " từ " + timeVi(d.last_seen) : " (chưa báo lần nào)")) + waiting,
      d.online && !waiting ? "" : "late");
    const printer = d.printer ? PRINTER[d.printer] || d.printer : "—";
    cell(printer, d.printer && d.printer !== "ready" ? "late" : "");
    cell((d.version || "—") + (d.version_differs ? " (khác máy chủ)" : ""), d.version_differs ? "late" : "");
    cell(d.online ? uptimeVi(d.uptime_seconds) : "—");
    cell(d.last_error || "");
    table.append(r);
  }
  body.replaceChildren(table);
}

async function downloadCsv() {
  try {
    const res = await fetch("/api/v1/stats?format=csv&" + statsQuery(),
      { headers: { Authorization: "Bearer " + state.token } });
    if (!res.ok) throw new ApiError(res.status, "http_" + res.status, res.statusText);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = "motcua-thong-ke-" + $("stats-from").value + "-" + $("stats-to").value + ".csv";
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (e) {
    $("stats-body").textContent = inWords(e);
  }
}

// ---- wiring -----------------------------------------------------------------------------

function wire() {
  $("signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    signIn($("token").value.trim());
  });
  $("signout").addEventListener("click", signOut);
  $("call").addEventListener("click", () => act("call"));
  $("recall").addEventListener("click", () => act("recall"));
  $("start").addEventListener("click", () => act("start"));
  $("finish").addEventListener("click", () => act("finish"));
  $("no-show").addEventListener("click", () => act("no-show"));
  $("transfer").addEventListener("click", openTransfer);
  $("toggle-open").addEventListener("click", () =>
    act(state.counter && state.counter.open ? "close" : "open"));
  $("transfer-form").addEventListener("submit", confirmTransfer);
  $("transfer-cancel").addEventListener("click", () => $("transfer-dialog").close());
  for (const b of document.querySelectorAll("[data-level]")) {
    b.addEventListener("click", () => rate(b.dataset.level));
  }
  $("stats-form").addEventListener("submit", (ev) => { ev.preventDefault(); loadStats(); });
  $("stats-csv").addEventListener("click", downloadCsv);
  $("dossier-form").addEventListener("submit", (ev) => { ev.preventDefault(); saveDossier(); });
  $("d-find").addEventListener("click", findDossier);
  $("d-code").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { ev.preventDefault(); findDossier(); }
  });
  for (const b of document.querySelectorAll("[data-status]")) {
    b.addEventListener("click", () => setDossierStatus(b.dataset.status));
  }
  $("d-receipt").addEventListener("click", printReceipt);
  setInterval(() => { if (!$("dossiers").hidden) loadDossiers(); }, 60000);

  // Shortcuts: one letter, shown on each button. Not while typing, not with a held key.
  const byKey = {};
  for (const b of document.querySelectorAll("[data-key]")) byKey[b.dataset.key] = b;
  document.addEventListener("keydown", (ev) => {
    if (ev.repeat || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    const tag = (ev.target && ev.target.tagName) || "";
    if (["INPUT", "SELECT", "TEXTAREA"].includes(tag) || $("transfer-dialog").open) return;
    if ($("desk").hidden) return;
    const b = byKey[ev.key.toLowerCase()];
    if (b && !b.disabled) {
      ev.preventDefault();
      b.click();
    }
  });
  // Waiting minutes move on even when nothing happens.
  setInterval(scheduleRefresh, 30000);
}

wire();
if (state.token) signIn(state.token);
else showSignIn();
