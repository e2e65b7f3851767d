// The operators' dispatch console: every courier and live order on a map, the orders needing
// attention first with their reasons in words, a column per courier with their deliveries, and
// assign, unassign and cancel with a reason. Follows `GET /operator/events` (a snapshot of the
// city, then order and courier events); the stream reconnects by itself (stream.js).
import { keepingFocus, make, notify, send, showFieldErrors } from "./api.js";
import { clock } from "./format.js";
import { PlaceMap } from "./map.js";
import { follow } from "./stream.js";

const L = globalThis.L;

const REASONS = {
  kitchen_slow: "The kitchen has not accepted it yet",
  waiting_for_courier: "No courier has taken it",
  not_picked_up: "Ready, but nobody picked it up",
  courier_silent: "Its courier has gone silent",
  late: "It will be late",
};
const STATUS = {
  placed: "placed",
  accepted: "accepted",
  preparing: "being prepared",
  ready: "ready",
  picked_up: "on the way",
  delivered: "delivered",
  rejected: "rejected",
  cancelled: "cancelled",
};
const STATES = { free: "free", busy: "busy", silent: "silent", off_duty: "off duty" };
const FINAL = new Set(["delivered", "rejected", "cancelled"]);

const orders = new Map(); // id -> order as the stream sent it (live ones only)
const couriers = new Map(); // id -> courier
const orderMarkers = new Map();
const courierMarkers = new Map();
let selected = null; // the chosen order's id
let dirty = false;
let ordersChanged = false;
let couriersChanged = false;
// Positions wait here and the markers move together, at most once a MARKERS_EVERY_MS, each once
// however many positions arrived: 1,000 couriers send about 330 a second, and a frame that moves
// markers repaints the map's layer of 1,000 (in software in a browser without a GPU), which held a
// click's answer back by hundreds of ms when every frame moved a few (bench/RESULTS.md, #40).
const moved = new Map(); // id -> courier
const MARKERS_EVERY_MS = 1000; // the stream sends a courier's position at most once a second too
let markersDrawnAt = 0;
let markersTimer = null;
// Each order's card, kept while the order (the stream's object) and its courier's name stay the same:
// a frame redraws only the cards that changed and moves only those whose place changed.
const cards = new Map(); // id -> { order, courier, element }
let fitted = false;
let couriersDrawnAt = 0;
let couriersTimer = null;
const COURIERS_EVERY_MS = 500; // the columns and the courier list: at most twice a second (1,000 couriers)

const placeMap = new PlaceMap(document.getElementById("map"));
const map = placeMap.map;
const form = document.getElementById("act");
const courierChoice = document.getElementById("courier");
const reason = document.getElementById("reason");
const buttons = {
  assign: document.getElementById("assign"),
  unassign: document.getElementById("unassign"),
  cancel: document.getElementById("cancel"),
};

const short = (id) => `#${id.slice(-6)}`;
const located = (p) => p && Number.isFinite(p.lat) && Number.isFinite(p.lng);
const courierName = (id) => (couriers.get(id) || {}).name || short(id);

const drawnClasses = new WeakMap(); // marker -> the classes it was last drawn with

function pin(markers, id, point, className, title) {
  let marker = markers.get(id);
  if (!located(point)) {
    if (marker) marker.remove();
    markers.delete(id);
    return;
  }
  if (!marker) {
    marker = L.marker([point.lat, point.lng], {
      icon: L.divIcon({ className, iconSize: null }),
      keyboard: false,
      title,
    }).addTo(map);
    marker.getElement().id = `marker-${id}`;
    markers.set(id, marker);
  } else {
    marker.setLatLng([point.lat, point.lng]);
  }
  const element = marker.getElement();
  const before = drawnClasses.get(marker);
  if (before !== className) {
    if (before) element.classList.remove(...before.split(" ").filter(Boolean));
    element.classList.add(...className.split(" ").filter(Boolean));
    element.title = title;
    drawnClasses.set(marker, className);
  }
  element.dataset.lat = point.lat;
  element.dataset.lng = point.lng;
}

function drawCourier(courier) {
  pin(courierMarkers, courier.id, courier.location, `pin courier ${courier.state}`, `${courier.name}: ${STATES[courier.state] || courier.state}`);
}

function drawOrder(order) {
  const where = order.delivery_address;
  const className = `pin order ${order.attention.length ? "attention" : ""}`;
  pin(orderMarkers, order.id, where, className, `${short(order.id)}: ${STATUS[order.status]}`);
  const marker = orderMarkers.get(order.id);
  if (marker) marker.off("click").on("click", () => choose(order.id));
}

function forget(markers, id) {
  const marker = markers.get(id);
  if (marker) marker.remove();
  markers.delete(id);
}

function schedule({ ordersToo = false, couriersToo = false } = {}) {
  ordersChanged = ordersChanged || ordersToo;
  couriersChanged = couriersChanged || couriersToo;
  if (dirty) return;
  dirty = true;
  requestAnimationFrame(() => {
    dirty = false;
    keepingFocus(render);
  });
}

function moveMarkers() {
  if (markersTimer) return;
  const wait = Math.max(0, MARKERS_EVERY_MS - (performance.now() - markersDrawnAt));
  markersTimer = setTimeout(() => {
    requestAnimationFrame(() => {
      markersTimer = null;
      markersDrawnAt = performance.now();
      for (const courier of moved.values()) drawCourier(courier);
      moved.clear();
    });
  }, wait);
}

// --- what the stream sends

function onSnapshot(city) {
  for (const id of orders.keys()) forget(orderMarkers, id);
  for (const id of couriers.keys()) forget(courierMarkers, id);
  orders.clear();
  couriers.clear();
  cards.clear();
  moved.clear();
  for (const courier of city.couriers) {
    couriers.set(courier.id, courier);
    drawCourier(courier);
  }
  for (const order of city.orders) onOrder(order, { quiet: true });
  if (!fitted) {
    const points = [...city.couriers.map((c) => c.location), ...city.orders.map((o) => o.delivery_address)].filter(located);
    if (points.length) {
      placeMap.fit(points);
      fitted = true;
    }
  }
  document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1);
  schedule({ ordersToo: true, couriersToo: true });
}

function onOrder(order, { quiet = false } = {}) {
  if (FINAL.has(order.status)) {
    orders.delete(order.id);
    cards.delete(order.id);
    forget(orderMarkers, order.id);
    if (order.id === selected) notify(`Order ${short(order.id)} is ${STATUS[order.status]}.`);
  } else {
    orders.set(order.id, order);
    drawOrder(order);
  }
  if (!quiet) schedule({ ordersToo: true });
}

function onCourier(courier) {
  const before = couriers.get(courier.id);
  couriers.set(courier.id, courier);
  moved.set(courier.id, courier);
  moveMarkers();
  const changed =
    !before ||
    before.state !== courier.state ||
    before.available !== courier.available ||
    before.name !== courier.name ||
    before.orders.join() !== courier.orders.join();
  if (changed) schedule({ couriersToo: true });
}

// --- drawing the lists

function orderCard(order) {
  const courier = order.courier_id ? `Courier: ${courierName(order.courier_id)}` : "No courier";
  const chosen = order.id === selected;
  const reasons = order.attention.map((code) => make("li", {}, REASONS[code] || code));
  return make(
    "li",
    { className: `order-card${order.attention.length ? " attention" : ""}${chosen ? " chosen" : ""}`, "data-item-id": order.id },
    make(
      "button",
      { type: "button", className: "choose", "aria-pressed": String(chosen), "data-focus": `order-${order.id}` },
      `${short(order.id)} · ${order.restaurant_name || "restaurant"} · ${STATUS[order.status]} · ${courier}`
    ),
    reasons.length ? make("ul", { className: "reasons" }, ...reasons) : null,
    make("p", { className: "hint" }, `Placed ${clock(order.created_at)}, due ${clock(order.estimated_delivery_at)}`)
  );
}

function byUrgency(a, b) {
  return b.attention.length - a.attention.length || a.created_at.localeCompare(b.created_at);
}

function cardOf(order) {
  const courier = order.courier_id ? courierName(order.courier_id) : null;
  const kept = cards.get(order.id);
  if (kept && kept.order === order && kept.courier === courier) return kept.element;
  const element = orderCard(order);
  cards.set(order.id, { order, courier, element });
  return element;
}

// The list shows `elements` in this order, touching only the nodes that leave, arrive or move.
function place(list, elements) {
  const wanted = new Set(elements);
  for (const node of [...list.children]) if (!wanted.has(node)) node.remove();
  let at = list.firstElementChild;
  for (const element of elements) {
    if (element === at) at = at.nextElementSibling;
    else list.insertBefore(element, at);
  }
}

function renderOrders() {
  const all = [...orders.values()].sort(byUrgency);
  const needing = all.filter((o) => o.attention.length);
  place(document.getElementById("attention-orders"), needing.map(cardOf));
  place(document.getElementById("other-orders"), all.filter((o) => !o.attention.length).map(cardOf));
  document.getElementById("no-attention").hidden = needing.length > 0;
}

function renderCouriers() {
  const counts = { free: 0, busy: 0, silent: 0, off_duty: 0 };
  const columns = [];
  const sorted = [...couriers.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  for (const courier of sorted) {
    counts[courier.state] = (counts[courier.state] || 0) + 1;
    if (!courier.orders.length) continue; // a column for each courier with deliveries
    const items = courier.orders.map((id) => {
      const order = orders.get(id);
      return make("li", {}, order ? `${short(id)} · ${STATUS[order.status]}` : short(id));
    });
    columns.push(
      make(
        "section",
        { className: `courier-column ${courier.state}`, "data-courier-id": courier.id },
        make("h3", {}, `${courier.name || short(courier.id)} `, make("span", { className: "state" }, STATES[courier.state])),
        make("ol", {}, ...items)
      )
    );
  }
  document.getElementById("courier-columns").replaceChildren(...columns);
  document.getElementById("summary").textContent =
    `${orders.size} live orders; couriers: ${counts.free} free, ${counts.busy} busy, ${counts.silent} silent, ${counts.off_duty} off duty.`;
  const keep = courierChoice.value;
  const choices = sorted
    .filter((c) => c.available)
    .map((c) => make("option", { value: c.id }, `${c.name || short(c.id)} (${STATES[c.state]}${c.orders.length ? `, ${c.orders.length} order${c.orders.length > 1 ? "s" : ""}` : ""})`));
  courierChoice.replaceChildren(make("option", { value: "" }, "Choose a courier"), ...choices);
  courierChoice.value = keep;
}

function renderChoice() {
  const order = selected && orders.get(selected);
  const line = document.getElementById("selected");
  line.dataset.orderId = order ? order.id : "";
  line.textContent = order
    ? `Order ${short(order.id)} (${STATUS[order.status]}), ${order.courier_id ? `with ${courierName(order.courier_id)}` : "no courier"}.`
    : "Choose an order in the lists below.";
  buttons.assign.disabled = !order;
  buttons.unassign.disabled = !order || !order.courier_id;
  buttons.cancel.disabled = !order;
}

function render() {
  if (ordersChanged) {
    ordersChanged = false;
    renderOrders();
  }
  if (couriersChanged) {
    const wait = COURIERS_EVERY_MS - (performance.now() - couriersDrawnAt);
    if (wait <= 0) {
      couriersChanged = false;
      couriersDrawnAt = performance.now();
      renderCouriers();
    } else if (!couriersTimer) {
      couriersTimer = setTimeout(() => {
        couriersTimer = null;
        schedule();
      }, wait);
    }
  }
  renderChoice();
}

// --- choosing and acting

function choose(orderId) {
  const cards = [selected, orderId].map((id) => id && document.querySelector(`.order-card[data-item-id="${id}"]`));
  selected = orderId;
  for (const card of cards.filter(Boolean)) {
    const chosen = card.dataset.itemId === orderId;
    card.classList.toggle("chosen", chosen);
    card.querySelector("button.choose").setAttribute("aria-pressed", String(chosen));
  }
  renderChoice();
  const order = orders.get(orderId);
  if (order && located(order.delivery_address)) map.panTo([order.delivery_address.lat, order.delivery_address.lng]);
}

document.querySelector(".console-lists").addEventListener("click", (event) => {
  const button = event.target.closest("button.choose");
  if (button) choose(button.closest("[data-item-id]").dataset.itemId);
});

async function act(action) {
  const order = orders.get(selected);
  if (!order) return;
  const body = { reason: reason.value.trim() };
  if (action === "assign") {
    if (!courierChoice.value) {
      notify("Choose the courier to give the order to.");
      return;
    }
    body.courier_id = courierChoice.value;
  }
  showFieldErrors(form, null);
  try {
    await send("POST", `/operator/orders/${order.id}/${action}`, body);
    notify(`Done: ${action} ${short(order.id)}.`);
    reason.value = "";
  } catch (error) {
    showFieldErrors(form, error);
    notify(error.message);
  }
}

for (const [action, button] of Object.entries(buttons)) button.addEventListener("click", () => act(action));
form.addEventListener("submit", (event) => event.preventDefault());

follow("/operator/events", { snapshot: onSnapshot, order: (o) => onOrder(o), courier: onCourier });
