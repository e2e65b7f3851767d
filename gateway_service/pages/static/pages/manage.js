// The kitchen's back office: preparation time, fee and radius; the menu (added, edited, priced,
// sold out and back); pausing new orders for a while. Every change is one API call, shown once
// the API has taken it; what it refuses is said next to the field.
import { config, keepingFocus, make, notify, pageData, send, showFieldErrors } from "./api.js";
import { cents, price } from "./format.js";
import { pauseStatus } from "./pause.js";

const restaurant = pageData("restaurant-data");
const items = new Map(pageData("menu-data").map((item) => [item.id, item]));
const base = `/restaurants/${restaurant.id}`;
const list = document.getElementById("menu-items");

for (const slot of document.querySelectorAll("[data-currency]")) slot.textContent = config.currency;
const amount = (value) => (value / 100).toFixed(2);
const status = pauseStatus(document.getElementById("taking-orders"), restaurant);

/** A typed amount as the API's cents, or the text itself (the API then says what is wrong with it). */
function centsOrText(text) {
  const value = cents(text);
  return Number.isNaN(value) ? text : value;
}

function numberOrText(text, parse) {
  const value = parse(text);
  return Number.isNaN(value) ? text : value;
}

async function submit(form, call, done) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const answer = await call();
    showFieldErrors(form, null);
    done(answer);
  } catch (error) {
    showFieldErrors(form, error);
    notify(error.message);
  } finally {
    button.disabled = false;
  }
}

document.getElementById("pause-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  submit(
    form,
    () => send("POST", `${base}/pause`, { minutes: Number(form.elements.minutes.value) }),
    (paused) => {
      status.set(paused);
      notify("New orders are paused.");
    },
  );
});

const settings = document.getElementById("settings-form");
settings.elements.delivery_fee_cents.value = amount(Number(settings.elements.delivery_fee_cents.dataset.cents));
settings.addEventListener("submit", (event) => {
  event.preventDefault();
  const fields = settings.elements;
  const changes = {
    prep_time_min: numberOrText(fields.prep_time_min.value, (text) => (/^\d+$/.test(text) ? Number(text) : Number.NaN)),
    delivery_fee_cents: centsOrText(fields.delivery_fee_cents.value),
    delivery_radius_km: numberOrText(fields.delivery_radius_km.value, (text) => (text.trim() ? Number(text) : Number.NaN)),
  };
  submit(settings, () => send("PATCH", base, changes), (saved) => {
    status.set(saved);
    notify("Saved.");
  });
});

function field(item, name, label, value, extra = {}) {
  const id = `item-${item.id}-${name}`;
  return make(
    "div",
    { className: "field" },
    make("label", { for: id }, label),
    make("input", { id, name, value, ...extra }),
    make("p", { className: "field-error", "data-error-for": name }),
  );
}

function row(item) {
  const form = make("form", { className: "menu-item", noValidate: true, "aria-label": item.name });
  const state = make("p", { className: `availability ${item.available ? "on" : "off"}` }, item.available ? "On the menu" : "Sold out");
  const toggle = make("button", { type: "button", "data-focus": "availability" }, item.available ? "Mark sold out" : "Back on the menu");
  const remove = make("button", { type: "button", className: "danger" }, "Remove");
  form.append(
    field(item, "name", "Name", item.name, { maxLength: 100, required: true }),
    field(item, "description", "Description", item.description, { maxLength: 500 }),
    field(item, "price_cents", `Price (${config.currency})`, amount(item.price_cents), { inputMode: "decimal", autocomplete: "off", required: true }),
    state,
    make("div", { className: "actions" }, make("button", { type: "submit", className: "primary" }, "Save"), toggle, remove),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const changes = {
      name: form.elements.name.value,
      description: form.elements.description.value,
      price_cents: centsOrText(form.elements.price_cents.value),
    };
    submit(form, () => send("PATCH", `${base}/menu/items/${item.id}`, changes), (saved) => {
      replace(saved);
      notify(`${saved.name} saved.`);
    });
  });
  toggle.addEventListener("click", async () => {
    try {
      const saved = await send("PATCH", `${base}/menu/items/${item.id}`, { available: !item.available });
      replace(saved);
      notify(saved.available ? `${saved.name} is back on the menu.` : `${saved.name} is sold out.`);
    } catch (error) {
      notify(error.message);
    }
  });
  remove.addEventListener("click", async () => {
    if (!window.confirm(`Remove ${item.name} from the menu?`)) return;
    try {
      await send("DELETE", `${base}/menu/items/${item.id}`);
      items.delete(item.id);
      render();
      notify(`${item.name} removed.`);
    } catch (error) {
      notify(error.message);
    }
  });
  return make("li", { "data-item-id": item.id }, form);
}

/** Shows an item as the API now has it. */
function replace(item) {
  items.set(item.id, item);
  render();
}

function render() {
  keepingFocus(() => {
    list.replaceChildren(...[...items.values()].map(row));
    if (!items.size) list.append(make("li", { className: "hint" }, "No dishes yet: add the first below."));
  });
}

document.getElementById("new-item").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const body = {
    name: form.elements.name.value,
    description: form.elements.description.value,
    price_cents: centsOrText(form.elements.price_cents.value),
  };
  submit(form, () => send("POST", `${base}/menu/items`, body), (added) => {
    items.set(added.id, added);
    render();
    form.reset();
    form.elements.name.focus();
    notify(`${added.name} added at ${price(added.price_cents)}.`);
  });
});

render();
