// The customer's orders, newest first, each with its status live (its own stream while it is not
// finished) and a link to its tracking page; orders placed elsewhere (another tab, the API) join
// the list when it is looked at again.
import { make, pageData, send } from "./api.js";
import { price, when } from "./format.js";
import { follow } from "./stream.js";

const STATUS = {
  placed: "Placed: waiting for the restaurant",
  accepted: "Accepted by the restaurant",
  preparing: "Being prepared",
  ready: "Ready: waiting for the courier",
  picked_up: "On the way to you",
  delivered: "Delivered",
  rejected: "The restaurant could not take it",
  cancelled: "Cancelled",
};
const LIVE_STREAMS = 3; // the newest unfinished orders followed live (a browser has 6 connections to a host, and streams are capped per person)
const RELIST_MS = 20000;

const orders = new Map(); // id -> {order, stop}
const list = document.getElementById("orders");

function row(order) {
  const items = order.items.map((line) => `${line.quantity} × ${line.name}`).join(", ");
  return make(
    "li",
    { className: `order-card ${order.status}`, "data-order-id": order.id },
    make("h2", {}, make("a", { href: `/orders/${order.id}/track` }, order.restaurant_name || "Your order"), " ", make("span", { className: "hint" }, when(order.created_at))),
    make("p", { className: "status", "data-status": order.status }, STATUS[order.status] || order.status),
    make("p", { className: "facts" }, `${items} · ${price(order.total_cents)}`),
  );
}

function render() {
  const newest = [...orders.values()].map(({ order }) => order).sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  list.replaceChildren(...newest.map(row));
  document.getElementById("orders-empty").hidden = newest.length > 0;
  const live = newest.filter((order) => !finished(order)).slice(0, LIVE_STREAMS);
  for (const entry of orders.values()) {
    const following = live.includes(entry.order);
    if (following && !entry.stop) entry.stop = watch(entry.order.id);
    if (!following && entry.stop) {
      entry.stop();
      entry.stop = null;
    }
  }
}

function finished(order) {
  // Nobody may move it any more: the order service's table says so with every order.
  return Object.values(order.next_actions).every((actions) => actions.length === 0);
}

function watch(orderId) {
  return follow(`/orders/${orderId}/events`, {
    status(event) {
      const entry = orders.get(orderId);
      if (!entry || entry.order.status === event.status) return;
      entry.order = { ...entry.order, status: event.status };
      render();
      relist(); // the order as it is now, with what may be done next
    },
  });
}

function take(results) {
  for (const order of results) {
    const entry = orders.get(order.id);
    if (entry) entry.order = order;
    else orders.set(order.id, { order, stop: null });
  }
  render();
}

async function relist() {
  try {
    take((await send("GET", "/customers/me/orders?page_size=20")).results);
  } catch {
    // Shown as it was; the next look tries again.
  }
}

take(pageData("orders-data"));
setInterval(relist, RELIST_MS);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") relist();
});
