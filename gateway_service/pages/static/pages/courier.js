// The courier's task page: availability, the route (every stop in order, ARCHITECTURE 4.7) in a list
// and on a map, the delivery of the next stop with picked up and delivered, and sharing the
// browser's position while the page is open (only once the person allows it).
import { notify, pageData, send } from "./api.js";
import { place } from "./format.js";
import { PlaceMap } from "./map.js";
import { follow } from "./stream.js";

let courier = pageData("courier-data");
let map = null; // made when the first delivery shows (Leaflet needs its element visible)
let delivery = null; // the delivery of the route's next stop
let deliveries = {}; // every active delivery, by id
let route = []; // the stops still to make, in order, as the platform planned them
let position = courier.location; // the last known one
let watch = null;
let lastSent = 0;
const SEND_EVERY_MS = 5000;

const availability = document.getElementById("availability");
const share = document.getElementById("share");
const shareState = document.getElementById("share-state");
const pickedUp = document.getElementById("picked-up");
const delivered = document.getElementById("delivered");

const ORDER_STATUS = {
  placed: "Waiting for the restaurant to accept the order.",
  accepted: "The restaurant accepted it and will start soon.",
  preparing: "The food is being prepared.",
  ready: "The food is ready: go now!",
  picked_up: "Bring it to the customer.",
};

function renderAvailability() {
  availability.setAttribute("aria-pressed", String(courier.available));
  availability.textContent = courier.available ? "Online: go offline" : "Offline: go online";
}

function clock(at) {
  return new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function renderRoute() {
  // The first stop's depart_at: leave then, to be at the counter as the food is ready (4.7).
  const setOff = document.getElementById("set-off");
  const leaving = route.length ? route[0].depart_at : null;
  setOff.hidden = !leaving;
  setOff.textContent = leaving ? `Set off at ${clock(leaving)}: the food is not ready before` : "";
  const list = document.getElementById("route");
  list.replaceChildren(
    ...route.map((stop) => {
      const item = document.createElement("li");
      item.dataset.stop = stop.stop;
      item.dataset.order = stop.order_id;
      const eta = stop.eta ? clock(stop.eta) : "";
      item.textContent = `${stop.stop === "pickup" ? "Pick up" : "Drop off"} · ${stop.address || ""} · ${eta}`;
      return item;
    }),
  );
}

function routePoints() {
  const points = route.map((stop, n) => ({
    id: `stop-${n}`,
    kind: stop.stop === "pickup" ? "restaurant" : "home",
    label: `${n + 1}. ${stop.stop === "pickup" ? "Pick up" : "Drop off"}`,
    lat: stop.lat,
    lng: stop.lng,
  }));
  const lines = points.slice(1).map((point, n) => [points[n].id, point.id]);
  return { points, lines };
}

function renderTask() {
  const active = delivery && ["assigned", "picked_up"].includes(delivery.status);
  document.getElementById("task").hidden = !active;
  document.getElementById("idle").hidden = active;
  if (!active) return;
  const status = delivery.status === "picked_up" ? "picked_up" : delivery.order_status;
  document.getElementById("order-status").textContent = ORDER_STATUS[status] || "";
  document.getElementById("pickup").textContent = place(delivery.pickup);
  document.getElementById("dropoff").textContent = place(delivery.dropoff);
  // What the platform says the courier may do now (picked up only once the food is ready).
  const allowed = delivery.next_actions || [];
  pickedUp.disabled = !allowed.includes("picked_up");
  delivered.disabled = !allowed.includes("delivered");
  renderRoute();
  let points;
  let lines;
  if (route.length) {
    ({ points, lines } = routePoints());
    if (position) lines.push(["me", "stop-0"]);
  } else {
    points = [
      { ...(delivery.pickup || {}), id: "pickup", kind: "restaurant", label: "Pickup" },
      { ...(delivery.dropoff || {}), id: "dropoff", kind: "home", label: "Drop-off" },
    ];
    lines = [["pickup", "dropoff"], ["me", delivery.status === "picked_up" ? "dropoff" : "pickup"]];
  }
  if (position) points.push({ id: "me", kind: "courier", label: "You", lat: position.lat, lng: position.lng });
  map = map || new PlaceMap(document.getElementById("map"));
  map.show(points, lines);
}

function nextDelivery() {
  const active = Object.values(deliveries).filter((d) => ["assigned", "picked_up"].includes(d.status));
  const first = route.find((stop) => deliveries[stop.delivery_id]);
  return (first && deliveries[first.delivery_id]) || active[0] || null;
}

function setDelivery(next) {
  const previous = next && deliveries[next.id];
  if (next) deliveries[next.id] = next;
  if (previous && next.status === "cancelled" && previous.status !== "cancelled") {
    notify("The order was cancelled: you are free for the next one.");
  } else if (previous && next.status === "delivered" && previous.status !== "delivered") {
    notify("Delivered. Thank you!");
  }
  delivery = nextDelivery() || (next && !["assigned", "picked_up"].includes(next.status) ? next : null);
  renderTask();
}

function setRoute(next) {
  route = next || [];
  delivery = nextDelivery();
  renderTask();
}

availability.addEventListener("click", async () => {
  try {
    courier = await send("PATCH", "/couriers/me", { available: !courier.available });
    renderAvailability();
  } catch (error) {
    notify(error.message);
  }
});

async function advance(status) {
  try {
    setDelivery(await send("POST", `/deliveries/${delivery.id}/status`, { status }));
  } catch (error) {
    notify(error.message);
  }
}
pickedUp.addEventListener("click", () => advance("picked_up"));
delivered.addEventListener("click", () => advance("delivered"));

async function report(lat, lng) {
  position = { lat, lng };
  if (Date.now() - lastSent < SEND_EVERY_MS) return;
  lastSent = Date.now();
  try {
    await send("POST", "/couriers/me/location", { lat, lng });
    shareState.textContent = "Sharing your position while this page is open.";
  } catch (error) {
    shareState.textContent = `Your position could not be sent: ${error.message}`;
  }
  renderTask();
}

share.addEventListener("click", () => {
  if (watch !== null) {
    navigator.geolocation.clearWatch(watch);
    watch = null;
    share.setAttribute("aria-pressed", "false");
    shareState.textContent = "Not sharing your position.";
    return;
  }
  if (!("geolocation" in navigator)) {
    shareState.textContent = "This browser cannot tell where you are.";
    return;
  }
  shareState.textContent = "Asking for your position…";
  watch = navigator.geolocation.watchPosition(
    (found) => {
      share.setAttribute("aria-pressed", "true");
      report(found.coords.latitude, found.coords.longitude);
    },
    (failure) => {
      shareState.textContent =
        failure.code === failure.PERMISSION_DENIED ? "You did not allow this page to know where you are." : "Your position is not known right now.";
    },
    { enableHighAccuracy: true, maximumAge: 5000 },
  );
});

renderAvailability();
renderTask();
follow("/couriers/me/events", {
  snapshot: ({ delivery: current, deliveries: all, route: stops }) => {
    deliveries = {};
    for (const one of all || (current ? [current] : [])) deliveries[one.id] = one;
    setRoute(stops);
  },
  delivery: setDelivery,
  route: ({ route: stops }) => setRoute(stops),
});
