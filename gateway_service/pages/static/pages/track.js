// The customer's tracking page: status timeline, estimated arrival, the courier on the map.
import { pageData } from "./api.js";
import { clock, minutesFromNow, price } from "./format.js";
import { PlaceMap } from "./map.js";
import { follow } from "./stream.js";

const order = pageData("order-data");
const map = new PlaceMap(document.getElementById("map"));
const STEPS = [
  ["placed", "Placed"],
  ["accepted", "Accepted by the restaurant"],
  ["preparing", "Being prepared"],
  ["ready", "Ready for pickup"],
  ["picked_up", "On the way to you"],
  ["delivered", "Delivered"],
];
const ENDINGS = { rejected: "The restaurant could not take this order.", cancelled: "You cancelled this order." };

const state = {
  status: order.status,
  reached: Object.fromEntries(order.history.map((entry) => [entry.status, entry.at])),
  courierId: order.courier_id,
  courier: order.courier_location,
  etaS: order.eta_s,
  readyAt: order.estimated_ready_at,
  deliveryAt: order.estimated_delivery_at,
  deliveredAt: order.delivered_at,
};

function renderTimeline() {
  const list = document.getElementById("timeline");
  list.replaceChildren();
  const current = STEPS.findIndex(([status]) => status === state.status);
  for (const [index, [status, label]] of STEPS.entries()) {
    const item = document.createElement("li");
    item.dataset.status = status;
    item.className = index < current ? "done" : index === current ? "current" : "upcoming";
    if (index === current) item.setAttribute("aria-current", "step");
    item.textContent = label;
    if (state.reached[status]) {
      const at = document.createElement("time");
      at.dateTime = state.reached[status];
      at.textContent = clock(state.reached[status]);
      item.append(" ", at);
    }
    list.append(item);
  }
  if (ENDINGS[state.status]) {
    const item = document.createElement("li");
    item.className = "current ended";
    item.dataset.status = state.status;
    item.setAttribute("aria-current", "step");
    item.textContent = ENDINGS[state.status];
    list.append(item);
  }
}

function renderEta() {
  const eta = document.getElementById("eta");
  if (state.status === "delivered") {
    eta.textContent = `Delivered at ${clock(state.deliveredAt || state.reached.delivered)}. Enjoy your meal!`;
  } else if (ENDINGS[state.status]) {
    eta.textContent = ENDINGS[state.status];
  } else if (state.deliveryAt) {
    eta.textContent = `Arrives around ${clock(state.deliveryAt)} (in about ${minutesFromNow(state.deliveryAt)} min)`;
  }
  const courierEta = document.getElementById("courier-eta");
  const toYou = state.status === "picked_up";
  courierEta.textContent =
    state.courier && state.etaS != null && !ENDINGS[state.status] && state.status !== "delivered"
      ? `The courier is about ${Math.max(1, Math.round(state.etaS / 60))} min from ${toYou ? "you" : "the restaurant"}.`
      : "";
}

function renderMap() {
  const points = [
    { ...(order.pickup_address || {}), id: "restaurant", kind: "restaurant", label: order.restaurant_name || "Restaurant" },
    { ...(order.delivery_address || {}), id: "home", kind: "home", label: "You" },
  ];
  const live = !ENDINGS[state.status] && state.status !== "delivered";
  if (state.courier && live) points.push({ ...state.courier, id: "courier", kind: "courier", label: "Courier" });
  const leg = state.status === "picked_up" ? "home" : "restaurant";
  map.show(points, [["restaurant", "home"], ["courier", leg]]);
}

function renderItems() {
  const items = document.getElementById("items");
  for (const line of order.items) {
    const item = document.createElement("li");
    item.textContent = `${line.quantity} × ${line.name}`;
    items.append(item);
  }
  const fee = order.delivery_fee_cents ? ` (with ${price(order.delivery_fee_cents)} delivery)` : "";
  document.getElementById("total").textContent = `Total ${price(order.total_cents)}${fee}`;
}

function render() {
  renderTimeline();
  renderEta();
  renderMap();
}

renderItems();
render();
setInterval(renderEta, 30000);

follow(`/orders/${order.id}/events`, {
  status(event) {
    if (event.courier_id !== state.courierId) {
      state.courier = null; // a new courier (or none): their position comes with their next report
      state.courierId = event.courier_id;
    }
    state.status = event.status;
    if (event.at) state.reached[event.status] = event.at;
    if (event.status === "delivered") state.deliveredAt = event.at;
    render();
  },
  estimate(event) {
    state.readyAt = event.estimated_ready_at;
    state.deliveryAt = event.estimated_delivery_at;
    renderEta();
  },
  location(event) {
    if (event.courier_id !== state.courierId) return;
    state.courier = { lat: event.lat, lng: event.lng, at: event.at };
    state.etaS = event.eta_s;
    renderMap();
    renderEta();
  },
});
