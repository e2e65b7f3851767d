// What the three live pages share: following a stream, calling the API as the signed-in user,
// drawing a map, saying times. Plain ES module, no build step; the rules stay in the services.

const connection = document.getElementById("connection");

function say(text) {
  connection.textContent = text;
  connection.hidden = !text;
}

/** Reads the JSON a page was rendered with (a <script type="application/json"> block). */
export function pageData(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

/**
 * Follows a live stream with EventSource, which reconnects by itself (sending Last-Event-ID, so
 * nothing is missed). `handlers` maps event names to functions of the parsed data. The page says
 * when the stream is reconnecting, and when the platform refused it (signed out, not yours).
 *
 * EventSource gives up for good when a (re)connect is answered with anything but a stream, the
 * fast 503 by which a busy platform sheds a reconnect storm included. Refused, the page asks once
 * why (EventSource does not say): a refusal that says "later" (429, 502, 503, 504) is retried after
 * its Retry-After with a jitter, resuming from the last event seen (`last_event_id`), so a page
 * sent away in a storm comes back by itself and misses nothing; 401, 403 and 404 are final.
 */
export function follow(url, handlers) {
  let opened = false;
  let lastEventId = "";
  const current = () =>
    lastEventId ? `${url}${url.includes("?") ? "&" : "?"}last_event_id=${encodeURIComponent(lastEventId)}` : url;

  function connect() {
    const source = new EventSource(current());
    source.addEventListener("open", () => {
      opened = true;
      say("");
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        refused();
      } else {
        say("Reconnecting…");
      }
    });
    for (const [name, handle] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => {
        if (event.lastEventId) lastEventId = event.lastEventId;
        handle(JSON.parse(event.data));
      });
    }
  }

  function later(seconds) {
    say("Reconnecting…");
    setTimeout(connect, (Math.min(seconds, 60) + Math.random()) * 1000);
  }

  async function refused() {
    const asking = new AbortController();
    let response;
    try {
      response = await fetch(current(), { credentials: "same-origin", signal: asking.signal });
    } catch {
      later(5); // the network itself: try again
      return;
    }
    asking.abort(); // a stream that opened this time: EventSource takes over
    if (response.ok) {
      later(0);
    } else if ([429, 502, 503, 504].includes(response.status)) {
      later(Number(response.headers.get("Retry-After")) || 5);
    } else {
      say(opened ? "The live view has ended." : "This live view is not available to you. Are you still signed in?");
    }
  }

  connect();
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

/** Calls the API as the signed-in user (the session cookie), with the CSRF token Django asks for. */
export async function send(method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const answer = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const error = new Error(answer.error ? answer.error.message : `HTTP ${response.status}`);
    error.status = response.status;
    error.answer = answer;
    throw error;
  }
  return answer;
}

/** Shows a message in a page's notice area for a while. */
export function notify(text) {
  const notice = document.getElementById("notice");
  if (!notice) return;
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => (notice.hidden = true), 6000);
}

const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

export function clock(iso) {
  return iso ? time.format(new Date(iso)) : "";
}

export function minutesFromNow(iso) {
  return Math.max(0, Math.round((new Date(iso) - Date.now()) / 60000));
}

export function minutesSince(iso) {
  return Math.max(0, Math.floor((Date.now() - new Date(iso)) / 60000));
}

export function euros(cents) {
  return (cents / 100).toLocaleString(undefined, { style: "currency", currency: "EUR" });
}

export function place(address) {
  if (!address) return "";
  return [address.line1, address.postcode, address.city].filter(Boolean).join(", ");
}

const SVG = "http://www.w3.org/2000/svg";

function element(name, attributes, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  parent.appendChild(node);
  return node;
}

function located(point) {
  return point && typeof point.lat === "number" && typeof point.lng === "number";
}

/**
 * Draws places on an SVG map of their own (no tiles, nothing from elsewhere): `points` is a list of
 * {id, lat, lng, label, kind}. Latitude and longitude are projected flat around their middle,
 * which is exact enough across a city. Markers keep their element (by id), so a moving courier
 * moves; `routes` are dashed lines between point ids.
 */
export function drawMap(svg, points, routes = []) {
  const shown = points.filter(located);
  const width = 320;
  const height = 240;
  const pad = 40; // room for a marker's label under it
  svg.replaceChildren();
  element("rect", { x: 0, y: 0, width, height, class: "ground" }, svg);
  for (let n = 1; n < 4; n += 1) {
    element("line", { x1: (width * n) / 4, y1: 0, x2: (width * n) / 4, y2: height, class: "grid" }, svg);
    element("line", { x1: 0, y1: (height * n) / 4, x2: width, y2: (height * n) / 4, class: "grid" }, svg);
  }
  if (!shown.length) {
    element("text", { x: width / 2, y: height / 2, class: "empty", "text-anchor": "middle" }, svg).textContent =
      "No places with coordinates yet";
    return;
  }
  const middle = shown.reduce((sum, p) => sum + p.lat, 0) / shown.length;
  const squeeze = Math.cos((middle * Math.PI) / 180);
  const xs = shown.map((p) => p.lng * squeeze);
  const ys = shown.map((p) => p.lat);
  const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 0.004);
  const scale = Math.min(width - 2 * pad, height - 2 * pad) / span;
  const cx = (Math.max(...xs) + Math.min(...xs)) / 2;
  const cy = (Math.max(...ys) + Math.min(...ys)) / 2;
  const at = (p) => [width / 2 + (p.lng * squeeze - cx) * scale, height / 2 - (p.lat - cy) * scale];
  const byId = Object.fromEntries(shown.map((p) => [p.id, p]));
  for (const [from, to] of routes) {
    if (!byId[from] || !byId[to]) continue;
    const [x1, y1] = at(byId[from]);
    const [x2, y2] = at(byId[to]);
    element("line", { x1, y1, x2, y2, class: "route" }, svg);
  }
  for (const p of shown) {
    const [x, y] = at(p);
    const marker = element(
      "g",
      { class: `marker ${p.kind}`, id: `marker-${p.id}`, transform: `translate(${x} ${y})`, "data-lat": p.lat, "data-lng": p.lng },
      svg,
    );
    element("title", {}, marker).textContent = p.label;
    element("circle", { r: 9 }, marker);
    element("text", { y: 24, "text-anchor": "middle" }, marker).textContent = p.label;
  }
}
