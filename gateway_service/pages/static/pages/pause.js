// Whether a restaurant takes new orders, as its owner's pages show it (the back office and the
// kitchen board): paused until a time, with resume; it follows a pause made elsewhere and its end.
import { notify, send } from "./api.js";
import { when } from "./format.js";

const REFRESH_MS = 30000;

/**
 * Keeps `element` (with `[data-pause-state]` and a Resume button `[data-resume]`) telling whether
 * `restaurant` takes orders; `onChange(restaurant)` hears every new state. Returns `{set, resume}`.
 */
export function pauseStatus(element, restaurant, onChange = () => {}) {
  let current = restaurant;
  let ending = null;
  const state = element.querySelector("[data-pause-state]");
  const resumeButton = element.querySelector("[data-resume]");

  function render() {
    const paused = Boolean(current.paused_until);
    element.classList.toggle("paused", paused);
    element.classList.toggle("stopped", !paused && !current.accepting_orders);
    if (paused) state.textContent = `New orders are paused until ${when(current.paused_until)}.`;
    else if (!current.accepting_orders) state.textContent = "Not taking orders (switched off in the restaurant's settings).";
    else state.textContent = current.is_open_now ? "Taking orders." : "Taking orders when open (closed now, by its opening hours).";
    resumeButton.hidden = !paused;
    clearTimeout(ending);
    // The pause ends by itself: look again just after it should have.
    if (paused) ending = setTimeout(refresh, Math.max(1000, new Date(current.paused_until) - Date.now() + 1000));
    onChange(current);
  }

  function set(restaurantNow) {
    current = restaurantNow;
    render();
  }

  async function refresh() {
    try {
      set(await send("GET", `/restaurants/${current.id}`));
    } catch {
      // The next refresh tries again; what is shown stays.
    }
  }

  async function resume() {
    try {
      set(await send("DELETE", `/restaurants/${current.id}/pause`));
      notify("Taking new orders again.");
    } catch (error) {
      notify(error.message);
    }
  }

  resumeButton.addEventListener("click", resume);
  setInterval(refresh, REFRESH_MS); // a pause made on another tablet shows here too
  render();
  return { set, refresh };
}
