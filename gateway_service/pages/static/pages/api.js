// Calling the platform's API from a page, as the signed-in person (the session cookie), and what
// every page shares: its data, its configuration, its notices. Plain ES module, no build step.

/** Reads the JSON a page was rendered with (Django's `json_script`: a <script type="application/json">). */
export function pageData(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

/** What the platform tells every page: `{currency, tiles, geocoder}` (pages/config.py). */
export const config = pageData("page-config");

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

/**
 * Calls the API as the signed-in user, with the CSRF token Django asks for. Resolves to the JSON
 * answer; a refusal rejects with an Error whose `status`, `code`, `details` are the contract's.
 */
export async function send(method, url, body, headers = {}) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let answer = {};
  try {
    answer = text ? JSON.parse(text) : {};
  } catch {
    answer = {};
  }
  if (!response.ok) {
    const error = new Error(answer.error ? answer.error.message : `The platform answered ${response.status}.`);
    error.status = response.status;
    error.code = answer.error ? answer.error.code : "unavailable";
    error.details = (answer.error && answer.error.details) || {};
    throw error;
  }
  return answer;
}

/** Shows a message in the page's notice area for a while (read out by screen readers). */
export function notify(text) {
  const notice = document.getElementById("notice");
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => (notice.hidden = true), 6000);
}

/** Writes an API refusal's field errors next to a form's fields (`<p data-error-for="name">`). */
export function showFieldErrors(form, error) {
  for (const slot of form.querySelectorAll("[data-error-for]")) {
    const messages = error && error.details ? error.details[slot.dataset.errorFor] : null;
    slot.textContent = Array.isArray(messages) ? messages.join(" ") : "";
    const field = form.elements[slot.dataset.errorFor];
    if (field && field.setAttribute) field.setAttribute("aria-invalid", String(Boolean(slot.textContent)));
  }
}

/** Makes an element: `make("button", {type: "button", "aria-label": "Add"}, "text", child)`. */
export function make(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(properties)) {
    if (key.includes("-") || key === "role" || key === "for") node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

/**
 * Runs `render` (which replaces elements) and gives the keyboard's focus back to the element that
 * had it, found again by its `data-focus` or accessible name, so a keyboard user never loses their place.
 */
export function keepingFocus(render) {
  const active = document.activeElement;
  const nameOf = (node) => node.dataset.focus || node.getAttribute("aria-label") || node.textContent;
  const name = active && active !== document.body ? nameOf(active) : null;
  const scope = active && active.closest("[data-item-id]");
  render();
  if (!name || document.activeElement === active) return;
  const within = scope ? document.querySelectorAll(`[data-item-id="${scope.dataset.itemId}"] button`) : [];
  const again = [...within].find((node) => nameOf(node) === name);
  if (again && !again.disabled) again.focus();
  else if (scope) {
    const any = document.querySelector(`[data-item-id="${scope.dataset.itemId}"] button:not([disabled])`);
    if (any) any.focus();
  }
}
