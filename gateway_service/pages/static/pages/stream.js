// Following a live stream of the platform (ARCHITECTURE 4.4) from a page, through every refusal a
// busy platform may answer with. Reusable by any page: `follow(url, {event: handler})`.

const connection = document.getElementById("connection");

function say(text) {
  connection.textContent = text;
  connection.hidden = !text;
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
 * Returns a function that stops following.
 */
export function follow(url, handlers) {
  let opened = false;
  let stopped = false;
  let source = null;
  let lastEventId = "";
  const current = () =>
    lastEventId ? `${url}${url.includes("?") ? "&" : "?"}last_event_id=${encodeURIComponent(lastEventId)}` : url;

  function connect() {
    if (stopped) return;
    source = new EventSource(current());
    source.addEventListener("open", () => {
      opened = true;
      document.body.dataset.live = "open"; // the page follows the platform live now
      say("");
    });
    source.addEventListener("error", (event) => {
      if (stopped) return;
      if (event.target.readyState === EventSource.CLOSED) {
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
    if (stopped) return;
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
  return () => {
    stopped = true;
    if (source) source.close();
  };
}
