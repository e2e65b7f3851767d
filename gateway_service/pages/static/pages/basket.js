// A restaurant's menu in the shop, the basket (kept in this browser: it survives a reload) and
// its live quote from the API (`POST /customers/me/orders/quote`: subtotal, fee, total, arrival),
// asked again whenever the basket, the address or the menu changes. Placing sends one
// Idempotency-Key per basket, kept with it: a double click, a retry or a reload mid-way all make
// the same single order, whose tracking page then opens.
import { keepingFocus, make, notify, pageData, send } from "./api.js";
import { clock, km, minutesFromNow, price, when } from "./format.js";

const restaurant = pageData("restaurant-data");
let menu = pageData("menu-data");
const STORED = `basket:${restaurant.id}`;
const MENU_REFRESH_MS = 10000;
const QUOTE_AFTER_MS = 250;

const select = document.getElementById("deliver-to");
const placeButton = document.getElementById("place");
const problem = document.getElementById("quote-problem");
const quoteState = document.getElementById("quote-state");

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** `{lines: {menu_item_id: quantity}, key, placing}`, as this browser kept it. */
function load() {
  try {
    const kept = JSON.parse(window.localStorage.getItem(STORED));
    if (kept && typeof kept.lines === "object" && kept.key) return kept;
  } catch {
    // A basket that cannot be read starts again empty.
  }
  return { lines: {}, key: newKey(), placing: false };
}

let basket = load();
let quoted = null; // the last quote that answered for the basket as it is
let asking = 0; // numbers the baskets quoted, so an answer for an older one is never shown
let quoteTimer = null;

function save() {
  window.localStorage.setItem(STORED, JSON.stringify(basket));
}

/** A changed basket is another order: it gets its own key (unless one is on its way). */
function change(lines) {
  if (basket.placing) return;
  basket = { lines, key: newKey(), placing: false, address: select && select.value };
  save();
  render();
  requote();
}

function item(id) {
  return menu.items.find((candidate) => candidate.id === id);
}

function orderLines() {
  return Object.entries(basket.lines)
    .filter(([, quantity]) => quantity > 0)
    .map(([menu_item_id, quantity]) => ({ menu_item_id, quantity }));
}

function setQuantity(id, quantity) {
  const lines = { ...basket.lines };
  if (quantity > 0) lines[id] = Math.min(quantity, 50);
  else delete lines[id];
  change(lines);
}

function restaurantState() {
  const state = document.getElementById("restaurant-state");
  state.className = "state";
  if (menu.paused_until) {
    state.textContent = `The kitchen has paused new orders until ${when(menu.paused_until)}. Your basket is kept for then.`;
    state.classList.add("paused");
  } else if (!menu.accepting_orders) {
    state.textContent = "This restaurant is not taking orders right now.";
    state.classList.add("closed");
  } else if (!restaurant.is_open_now) {
    state.textContent = "This restaurant is closed right now.";
    state.classList.add("closed");
  } else {
    state.textContent = "Open: taking orders.";
    state.classList.add("open");
  }
}

function renderMenu() {
  const list = document.getElementById("menu");
  list.replaceChildren(
    ...menu.items.map((dish) => {
      const add = make("button", { type: "button", "aria-label": `Add ${dish.name}`, disabled: !dish.available }, dish.available ? "Add" : "Sold out");
      add.addEventListener("click", () => setQuantity(dish.id, (basket.lines[dish.id] || 0) + 1));
      const inBasket = basket.lines[dish.id] ? make("span", { className: "in-basket" }, `${basket.lines[dish.id]} in basket`) : null;
      return make(
        "li",
        { className: `dish${dish.available ? "" : " sold-out"}`, "data-item-id": dish.id },
        make("div", {}, make("h3", {}, dish.name), dish.description ? make("p", { className: "hint" }, dish.description) : null),
        make("p", { className: "price" }, price(dish.price_cents), inBasket),
        add,
      );
    }),
  );
  if (!menu.items.length) list.append(make("li", { className: "hint" }, "Nothing on the menu yet."));
}

function renderBasket() {
  const lines = orderLines();
  document.getElementById("basket-empty").hidden = lines.length > 0;
  document.getElementById("basket-lines").replaceChildren(
    ...lines.map(({ menu_item_id: id, quantity }) => {
      const dish = item(id);
      const name = dish ? dish.name : "A dish no longer on the menu";
      const less = make("button", { type: "button", className: "step", "aria-label": `One ${name} less` }, "−");
      const more = make("button", { type: "button", className: "step", "aria-label": `One ${name} more`, disabled: !dish || !dish.available }, "+");
      less.addEventListener("click", () => setQuantity(id, quantity - 1));
      more.addEventListener("click", () => setQuantity(id, quantity + 1));
      const note = dish && !dish.available ? make("span", { className: "problem" }, " sold out") : null;
      return make(
        "li",
        { "data-item-id": id },
        make("span", { className: "line" }, `${quantity} × ${name}`, note),
        make("span", { className: "steps" }, less, more),
        make("span", { className: "price" }, dish ? price(dish.price_cents * quantity) : ""),
      );
    }),
  );
}

function render() {
  keepingFocus(() => {
    restaurantState();
    renderMenu();
    renderBasket();
  });
  updateButton();
}

function updateButton() {
  const ready = quoted && !basket.placing && orderLines().length > 0;
  placeButton.disabled = !ready;
  placeButton.textContent = basket.placing ? "Placing your order…" : quoted ? `Place order · ${price(quoted.total_cents)}` : "Place order";
}

/** What the API's refusal means for the person, in words. */
function words(error) {
  const details = error.details || {};
  const names = (ids) => (ids || []).map((id) => (item(id) || { name: "a dish" }).name).join(", ");
  switch (error.code) {
    case "restaurant_not_accepting":
      if (details.paused_until) return `The kitchen has paused new orders until ${when(details.paused_until)}. Your basket is kept: try again then.`;
      if (details.is_open_now === false) return "The restaurant is closed right now, so it cannot take this order.";
      return "The restaurant is not taking orders right now.";
    case "outside_delivery_area":
      return `This address is ${km(details.distance_km)} from the restaurant, which delivers up to ${km(details.radius_km)}. Choose another address or restaurant.`;
    case "items_unavailable":
      return `Sold out: ${names(details.menu_item_ids)}. Take it out of the basket to order the rest.`;
    case "unknown_items":
      return `No longer on the menu: ${names(details.menu_item_ids)}. Take it out of the basket.`;
    case "unknown_address":
      return "That address is not one of yours any more: choose another.";
    case "unknown_restaurant":
      return "This restaurant is no longer on the platform.";
    case "not_authenticated":
    case "authentication_failed":
      return "You are signed out: sign in again to order.";
    default:
      return error.status >= 500 || error.status === 429
        ? "The platform cannot price your order right now; it tries again in a moment."
        : error.message;
  }
}

function showProblem(text) {
  problem.textContent = text;
  problem.hidden = !text;
}

function showQuote(quote) {
  document.getElementById("quote").hidden = !quote;
  document.getElementById("quote").removeAttribute("aria-busy");
  if (!quote) return;
  document.getElementById("quote-subtotal").textContent = price(quote.subtotal_cents);
  document.getElementById("quote-fee").textContent = quote.delivery_fee_cents ? price(quote.delivery_fee_cents) : "Free";
  const total = document.getElementById("quote-total");
  total.textContent = price(quote.total_cents);
  total.dataset.cents = quote.total_cents;
  document.getElementById("quote-arrival").textContent = `${clock(quote.estimated_delivery_at)} (in about ${minutesFromNow(quote.estimated_delivery_at)} min)`;
}

function requote() {
  clearTimeout(quoteTimer);
  asking += 1; // an answer for the basket as it was is now out of date
  quoted = null;
  delete document.getElementById("quote-total").dataset.cents; // the figures shown are the last basket's
  document.getElementById("quote").setAttribute("aria-busy", "true");
  updateButton();
  quoteTimer = setTimeout(askQuote, QUOTE_AFTER_MS);
}

async function askQuote() {
  const items = orderLines();
  if (!items.length || !select) {
    showQuote(null);
    showProblem("");
    quoteState.textContent = "";
    return;
  }
  const number = asking;
  quoteState.textContent = "Pricing your basket…";
  try {
    const quote = await send("POST", "/customers/me/orders/quote", { restaurant_id: restaurant.id, address_id: select.value, items });
    if (number !== asking) return;
    quoted = quote;
    showQuote(quote);
    showProblem("");
    quoteState.textContent = "";
  } catch (error) {
    if (number !== asking) return;
    quoted = null;
    showQuote(null);
    showProblem(words(error));
    quoteState.textContent = "";
    if (error.status >= 500 || error.status === 429) quoteTimer = setTimeout(requote, 5000);
  }
  updateButton();
}

async function place() {
  basket.placing = true;
  save();
  updateButton();
  try {
    const order = await send(
      "POST",
      "/customers/me/orders",
      { restaurant_id: restaurant.id, address_id: basket.address || select.value, items: orderLines() },
      { "Idempotency-Key": basket.key },
    );
    window.localStorage.removeItem(STORED);
    window.location.assign(new URL(order.track_url, window.location.href).pathname);
  } catch (error) {
    // Refused (nothing was stored) or not known (a timeout): either way the same key is safe again.
    basket.placing = false;
    save();
    showProblem(words(error));
    notify(words(error));
    updateButton();
  }
}

placeButton.addEventListener("click", () => {
  if (basket.placing || placeButton.disabled) return;
  basket.address = select.value;
  place();
});

if (select) {
  if (basket.address && [...select.options].some((option) => option.value === basket.address)) select.value = basket.address;
  else {
    const wanted = new URLSearchParams(window.location.search).get("address") || window.localStorage.getItem("shop:address");
    if ([...select.options].some((option) => option.value === wanted)) select.value = wanted;
  }
  select.addEventListener("change", () => change({ ...basket.lines }));
}

async function refreshMenu() {
  try {
    const latest = await send("GET", `/restaurants/${restaurant.id}/menu`);
    if (JSON.stringify(latest) !== JSON.stringify(menu)) {
      menu = latest;
      render();
      if (!basket.placing) requote();
    }
  } catch {
    // The menu shown stays until the next look.
  }
}

render();
if (basket.placing) {
  // A reload while the order was on its way: finish it with the same key (the same single order).
  quoteState.textContent = "Finishing your order…";
  place();
} else {
  requote();
}
// Back to this page from the history: the basket may have changed meanwhile (placed, or in another tab).
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  basket = load();
  render();
  requote();
});
setInterval(refreshMenu, MENU_REFRESH_MS); // the kitchen's changes (sold out, paused) show here
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refreshMenu();
});
