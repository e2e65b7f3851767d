// The kitchen's board: open orders as cards by status, new ones at once, the next moves as buttons.
import { clock, euros, follow, minutesSince, notify, pageData, send } from "./live.js";

const restaurant = pageData("restaurant-data");
const FINAL = new Set(["delivered", "rejected", "cancelled"]);
// The moves a kitchen makes from each status (the order service decides whether they are allowed).
const MOVES = {
  placed: [["accepted", "Accept"], ["rejected", "Reject"]],
  accepted: [["preparing", "Start preparing"]],
  preparing: [["ready", "Ready for pickup"]],
};
const DELAYABLE = new Set(["accepted", "preparing"]);
const cards = new Map(); // order id -> {order, element, fresh}

function lane(status) {
  return document.querySelector(`.lane[data-status="${status}"] .cards`);
}

function button(label, onClick, className = "") {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = label;
  node.className = className;
  node.addEventListener("click", onClick);
  return node;
}

async function act(order, body, path = "status") {
  try {
    const moved = await send("POST", `/restaurants/${restaurant.id}/orders/${order.id}/${path}`, body);
    show(moved, false); // at once; the stream's event for it changes nothing further
  } catch (error) {
    notify(`Order ${order.id.slice(-5)}: ${error.message}`);
  }
}

function card(order, fresh) {
  const article = document.createElement("article");
  article.className = "card";
  article.dataset.orderId = order.id;
  article.setAttribute("aria-label", `Order ${order.id.slice(-5)}`);
  const header = document.createElement("header");
  const title = document.createElement("strong");
  title.textContent = `#${order.id.slice(-5)}`;
  header.append(title);
  if (fresh) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = "New";
    header.append(" ", badge);
  }
  const age = document.createElement("span");
  age.className = "age";
  age.dataset.since = order.created_at;
  age.textContent = ` ${minutesSince(order.created_at)} min ago`;
  header.append(age);
  const items = document.createElement("ul");
  for (const line of order.items) {
    const item = document.createElement("li");
    item.textContent = `${line.quantity} × ${line.name}`;
    items.append(item);
  }
  const facts = document.createElement("p");
  facts.className = "facts";
  const ready = order.estimated_ready_at && !["ready", "picked_up"].includes(order.status) ? ` · ready by ${clock(order.estimated_ready_at)}` : "";
  const door = order.estimated_delivery_at ? ` · at the door by ${clock(order.estimated_delivery_at)}` : "";
  facts.textContent = `${euros(order.total_cents)}${ready}${door}`;
  const courier = document.createElement("p");
  courier.className = "courier";
  courier.textContent = order.courier_id ? "A courier is assigned." : "Waiting for a courier.";
  const actions = document.createElement("div");
  actions.className = "actions";
  for (const [status, label] of MOVES[order.status] || []) {
    const style = status === "rejected" ? "danger" : "primary";
    actions.append(button(label, () => act(order, { status }), style));
  }
  if (DELAYABLE.has(order.status)) {
    for (const minutes of [5, 10]) actions.append(button(`+${minutes} min`, () => act(order, { minutes }, "delay")));
  }
  article.append(header, items, facts, courier, actions);
  const item = document.createElement("li");
  item.append(article);
  return item;
}

function show(order, fresh) {
  const known = cards.get(order.id);
  if (known && known.order.version > order.version) return; // an older state than shown
  if (known) known.element.remove();
  if (FINAL.has(order.status)) {
    cards.delete(order.id);
    return;
  }
  const target = lane(order.status);
  if (!target) return;
  // Still new until the kitchen moves it on.
  const stillFresh = order.status === "placed" && (fresh || Boolean(known && known.fresh));
  const element = card(order, stillFresh);
  cards.set(order.id, { order, element, fresh: stillFresh });
  const after = [...target.children].find((child) => child.firstChild.dataset.orderId > order.id);
  target.insertBefore(element, after || null); // oldest first, as the kitchen works
}

setInterval(() => {
  for (const age of document.querySelectorAll(".age")) age.textContent = ` ${minutesSince(age.dataset.since)} min ago`;
}, 30000);

follow(`/restaurants/${restaurant.id}/orders/events`, {
  snapshot({ orders }) {
    for (const { element } of cards.values()) element.remove();
    cards.clear();
    for (const order of orders) show(order, false);
  },
  order(order) {
    show(order, !cards.has(order.id));
  },
});
