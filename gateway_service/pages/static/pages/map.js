// Maps for every page (Leaflet, vendored and served by the platform). Tiles only from the server
// the platform names (MAP_TILES_URL, with its attribution); without one, places sit on a plain
// background and nothing is fetched from elsewhere. Reusable: a map of places that move
// (`PlaceMap.show`), and a pin a person drops to say where they are (`PlaceMap.pickPlace`).
import { config, make } from "./api.js";

const L = globalThis.L; // leaflet.js, loaded before the modules (pages/map_assets.html)
const CITY_ZOOM = 15;

function located(point) {
  return point && Number.isFinite(point.lat) && Number.isFinite(point.lng);
}

export class PlaceMap {
  /** A map in `element` (whose aria-label says what it shows), with the keyboard's arrows and +/-. */
  constructor(element, { center = [20, 0], zoom = 2 } = {}) {
    this.map = L.map(element, { keyboard: true, attributionControl: Boolean(config.tiles), zoomSnap: 0.5 });
    if (config.tiles) {
      L.tileLayer(config.tiles.url, { attribution: config.tiles.attribution, maxZoom: 19 }).addTo(this.map);
    } else {
      element.classList.add("plain"); // no tiles: a plain background
    }
    this.map.setView(center, zoom);
    this.markers = new Map(); // id -> Leaflet marker
    this.lines = L.layerGroup().addTo(this.map);
    this.shownIds = "";
  }

  /**
   * Shows `points` ({id, lat, lng, label, kind}); a point seen before moves rather than being
   * drawn again, so a courier glides. `routes` are dashed lines between point ids. The view fits
   * the points when which points there are changes (not on every move: the person may be panning).
   */
  show(points, routes = []) {
    this.map.invalidateSize(); // its element may have been hidden, or resized, since
    const shown = points.filter(located);
    const byId = new Map(shown.map((point) => [point.id, point]));
    for (const [id, marker] of this.markers) {
      if (!byId.has(id)) {
        marker.remove();
        this.markers.delete(id);
      }
    }
    for (const point of shown) this.#place(point);
    this.lines.clearLayers();
    for (const [from, to] of routes) {
      if (byId.has(from) && byId.has(to)) {
        const ends = [byId.get(from), byId.get(to)].map((p) => [p.lat, p.lng]);
        L.polyline(ends, { className: "route", interactive: false }).addTo(this.lines);
      }
    }
    const ids = [...byId.keys()].sort().join(" ");
    if (ids && ids !== this.shownIds) this.fit(shown);
    this.shownIds = ids;
  }

  fit(points) {
    if (points.length === 1) this.map.setView([points[0].lat, points[0].lng], CITY_ZOOM);
    else if (points.length > 1) this.map.fitBounds(points.map((p) => [p.lat, p.lng]), { padding: [40, 40], maxZoom: 16 });
  }

  #place(point) {
    let marker = this.markers.get(point.id);
    if (marker) {
      marker.setLatLng([point.lat, point.lng]);
    } else {
      const icon = L.divIcon({ className: `pin ${point.kind}`, html: make("span", { className: "pin-label" }, point.label), iconSize: null });
      marker = L.marker([point.lat, point.lng], { icon, interactive: false, keyboard: false }).addTo(this.map);
      marker.getElement().id = `marker-${point.id}`;
      this.markers.set(point.id, marker);
    }
    const element = marker.getElement();
    element.dataset.lat = point.lat;
    element.dataset.lng = point.lng;
  }

  /**
   * Lets the person say where they are: a click (or a tap) on the map drops the pin there, the
   * pin can be dragged, and `pick` puts it anywhere (the map's centre, the browser's position, a
   * found address). `onPick({lat, lng})` hears every move.
   */
  pickPlace(onPick) {
    const icon = L.divIcon({ className: "pin picked", html: make("span", { className: "pin-label" }, "Here"), iconSize: null });
    const pick = (lat, lng, { center = false } = {}) => {
      const at = [Number(lat.toFixed(6)), Number(lng.toFixed(6))];
      if (this.pin) this.pin.setLatLng(at);
      else {
        this.pin = L.marker(at, { icon, draggable: true, keyboard: false, title: "The delivery address" }).addTo(this.map);
        this.pin.getElement().id = "marker-picked";
        this.pin.on("dragend", () => {
          const { lat: newLat, lng: newLng } = this.pin.getLatLng();
          pick(newLat, newLng);
        });
      }
      if (center) this.map.setView(at, Math.max(this.map.getZoom(), CITY_ZOOM));
      onPick({ lat: at[0], lng: at[1] });
    };
    this.map.on("click", (event) => pick(event.latlng.lat, event.latlng.lng));
    return {
      pick,
      pickCentre: () => {
        const { lat, lng } = this.map.getCenter();
        pick(lat, lng);
      },
    };
  }
}
