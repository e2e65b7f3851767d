// The kitchen's board: open orders as cards by status, new ones at once, and as buttons what the
// order service says the kitchen may do next with each (`next_actions.restaurant`).
import { make, notify, pageData, send } from "./api.js";
import { clock, minutesSince, price } from "./format.js";
import { pauseStatus } from "./pause.js";
import { follow } from "./stream.js";

const restaurant = pageData("restaurant-data");
// How the board words the statuses an order may be moved to (the order service decides which).
const MOVES = {
  accepted: ["Accept", "primary"],
  rejected: ["Reject", "danger"],
  preparing: ["Start preparing", "primary"],
  ready: ["Ready for pickup", "primary"],
};
const DELAYS = [5, 10];
const cards = new Map(); // order id -> {order, element, fresh}

function lane(status) {
  return document.querySelector(`.lane[data-status="${status}"] .cards`);
}

function button(label, onClick, className = "") {
  const node = make("button", { type: "button", className }, label);
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
  const header = make(
    "header",
    {},
    make("strong", {}, `#${order.id.slice(-5)}`),
    fresh ? make("span", { className: "badge" }, "New") : null,
    make("span", { className: "age", "data-since": order.created_at }, ` ${minutesSince(order.created_at)} min ago`),
  );
  const items = make("ul", {}, ...order.items.map((line) => make("li", {}, `${line.quantity} × ${line.name}`)));
  const ready = order.estimated_ready_at && !["ready", "picked_up"].includes(order.status) ? ` · ready by ${clock(order.estimated_ready_at)}` : "";
  const door = order.estimated_delivery_at ? ` · at the door by ${clock(order.estimated_delivery_at)}` : "";
  const facts = make("p", { className: "facts" }, `${price(order.total_cents)}${ready}${door}`);
  const courier = make("p", { className: "courier" }, order.courier_id ? "A courier is assigned." : "Waiting for a courier.");
  const actions = make("div", { className: "actions" });
  for (const action of (order.next_actions && order.next_actions.restaurant) || []) {
    if (action === "delay") {
      for (const minutes of DELAYS) actions.append(button(`+${minutes} min`, () => act(order, { minutes }, "delay")));
    } else if (MOVES[action]) {
      const [label, style] = MOVES[action];
      actions.append(button(label, () => act(order, { status: action }), style));
    }
  }
  const article = make("article", { className: "card", "data-order-id": order.id, "aria-label": `Order ${order.id.slice(-5)}` });
  article.append(header, items, facts, courier, actions);
  return make("li", {}, article);
}

function show(order, fresh) {
  const known = cards.get(order.id);
  if (known && known.order.version > order.version) return; // an older state than shown
  if (known) known.element.remove();
  const target = lane(order.status);
  if (!target) {
    cards.delete(order.id); // finished (delivered, rejected, cancelled): it leaves the board
    return;
  }
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

pauseStatus(document.getElementById("taking-orders"), restaurant);

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
