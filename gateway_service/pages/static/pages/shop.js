// The customer's shop: choose or add a delivery address (a pin on the map, the browser's position
// or, where the platform has one, an address search), then the restaurants that deliver there,
// nearest first, as the restaurant service lists them (those taking orders first).
import { make, notify, pageData, send, showFieldErrors } from "./api.js";
import { duration, km, place, price, when } from "./format.js";
import * as geocoder from "./geocoder.js";
import { PlaceMap } from "./map.js";

const addresses = pageData("addresses-data");
const CHOSEN = "shop:address"; // the address chosen last, remembered by this browser
const choices = document.getElementById("address-choices");
const form = document.getElementById("address-form");
const details = document.getElementById("add-address");
const positionState = document.getElementById("position-state");

let chosen = new URLSearchParams(window.location.search).get("address") || window.localStorage.getItem(CHOSEN);
if (!addresses.some((address) => address.id === chosen)) {
  chosen = (addresses.find((address) => address.is_default) || addresses[0] || {}).id || null;
}

function renderChoices() {
  choices.replaceChildren(
    ...addresses.map((address) => {
      const id = `address-${address.id}`;
      const input = make("input", { type: "radio", name: "address", id, value: address.id, checked: address.id === chosen });
      input.addEventListener("change", () => choose(address.id));
      return make("div", { className: "choice" }, input, make("label", { for: id }, make("strong", {}, address.label), ` ${place(address)}`));
    }),
  );
  document.getElementById("no-address").hidden = addresses.length > 0;
  if (!addresses.length) details.open = true;
}

function choose(addressId) {
  chosen = addressId;
  window.localStorage.setItem(CHOSEN, addressId);
  const url = new URL(window.location.href);
  url.searchParams.set("address", addressId);
  window.history.replaceState(null, "", url);
  loadRestaurants();
}

function restaurantState(restaurant) {
  if (restaurant.paused_until) return ["paused", `Paused: new orders again from ${when(restaurant.paused_until)}`];
  if (!restaurant.accepting_orders) return ["closed", "Not taking orders"];
  if (!restaurant.is_open_now) return ["closed", "Closed now"];
  return ["open", "Open"];
}

function card(restaurant) {
  const [kind, words] = restaurantState(restaurant);
  const fee = restaurant.delivery_fee_cents ? `${price(restaurant.delivery_fee_cents)} delivery` : "Free delivery";
  const facts = [restaurant.cuisine, km(restaurant.distance_km), `about ${duration(restaurant.estimated_delivery_min)}`, fee];
  return make(
    "li",
    { className: `restaurant-card ${kind}`, "data-restaurant-id": restaurant.id },
    make("h3", {}, make("a", { href: `/shop/restaurants/${restaurant.id}?address=${chosen}` }, restaurant.name)),
    make("p", { className: "facts" }, facts.join(" · ")),
    make("p", { className: `state ${kind}` }, words),
  );
}

async function loadRestaurants() {
  const list = document.getElementById("restaurants");
  const state = document.getElementById("restaurants-state");
  if (!chosen) {
    list.replaceChildren();
    state.textContent = "Choose or add an address to see who delivers there.";
    return;
  }
  state.textContent = "Looking for restaurants…";
  try {
    const page = await send("GET", `/restaurants?address_id=${chosen}&page_size=50`);
    list.replaceChildren(...page.results.map(card));
    state.textContent = page.count
      ? `${page.count} ${page.count === 1 ? "restaurant delivers" : "restaurants deliver"} there, nearest first.`
      : "No restaurant delivers there yet.";
  } catch (error) {
    list.replaceChildren();
    state.textContent = `The restaurants could not be listed: ${error.message}`;
  }
}

// --- adding an address --------------------------------------------------------------------------

const home = addresses.find((address) => address.id === chosen);
const map = new PlaceMap(document.getElementById("address-map"), home ? { center: [home.lat, home.lng], zoom: 14 } : {});
const pin = map.pickPlace(({ lat, lng }) => {
  form.elements.lat.value = lat;
  form.elements.lng.value = lng;
});
details.addEventListener("toggle", () => map.map.invalidateSize());
for (const name of ["lat", "lng"]) {
  form.elements[name].addEventListener("change", () => {
    const lat = Number(form.elements.lat.value);
    const lng = Number(form.elements.lng.value);
    if (form.elements.lat.value && form.elements.lng.value && Math.abs(lat) <= 90 && Math.abs(lng) <= 180) pin.pick(lat, lng, { center: true });
  });
}
document.getElementById("use-centre").addEventListener("click", () => pin.pickCentre());

function fill(found) {
  for (const name of ["line1", "postcode", "city"]) if (found[name]) form.elements[name].value = found[name];
}

document.getElementById("use-position").addEventListener("click", () => {
  if (!("geolocation" in navigator)) {
    positionState.textContent = "This browser cannot tell where you are.";
    return;
  }
  positionState.textContent = "Asking for your position…";
  navigator.geolocation.getCurrentPosition(
    async (found) => {
      pin.pick(found.coords.latitude, found.coords.longitude, { center: true });
      positionState.textContent = "The pin is where you are.";
      if (geocoder.available && !form.elements.line1.value) {
        try {
          const address = await geocoder.reverse(found.coords.latitude, found.coords.longitude);
          if (address) fill(address);
        } catch {
          // The fields stay for the person to fill.
        }
      }
    },
    (failure) => {
      positionState.textContent =
        failure.code === failure.PERMISSION_DENIED ? "You did not allow this page to know where you are." : "Your position is not known right now.";
    },
    { enableHighAccuracy: true, timeout: 15000 },
  );
});

if (geocoder.available) {
  const results = document.getElementById("geocoder-results");
  const query = document.getElementById("geocoder-q");
  const run = async () => {
    if (!query.value.trim()) return;
    try {
      const found = await geocoder.search(query.value.trim());
      results.replaceChildren(
        ...found.map((address) => {
          const use = make("button", { type: "button", className: "link" }, address.label);
          use.addEventListener("click", () => {
            fill(address);
            pin.pick(address.lat, address.lng, { center: true });
            form.elements.label.focus();
          });
          return make("li", {}, use);
        }),
      );
      if (!found.length) results.replaceChildren(make("li", {}, "Nothing found by that name."));
    } catch (error) {
      results.replaceChildren(make("li", {}, error.message));
    }
  };
  document.getElementById("geocoder-search").addEventListener("click", run);
  query.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      run();
    }
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const fields = form.elements;
  const number = (text) => (text.trim() === "" ? null : Number(text));
  const body = {
    label: fields.label.value,
    line1: fields.line1.value,
    postcode: fields.postcode.value,
    city: fields.city.value,
    lat: number(fields.lat.value),
    lng: number(fields.lng.value),
  };
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const address = await send("POST", "/customers/me/addresses", body);
    showFieldErrors(form, null);
    addresses.push(address);
    form.reset();
    details.open = false;
    choose(address.id);
    renderChoices();
    document.getElementById(`address-${address.id}`).focus();
    notify(`${address.label} saved: here are the restaurants that deliver there.`);
  } catch (error) {
    showFieldErrors(form, error);
    notify(error.message);
  } finally {
    button.disabled = false;
  }
});

renderChoices();
loadRestaurants();
