// Looking an address up by name, or a place's address by its position, at the geocoder the
// platform names (GEOCODER_URL), Photon- or Nominatim-compatible; none by default.
import { config } from "./api.js";

/** `{label, line1, postcode, city, lat, lng}` from a Photon feature or a Nominatim place. */
function photonPlace(feature) {
  const p = feature.properties || {};
  const [lng, lat] = feature.geometry.coordinates;
  const line1 = [p.street || p.name, p.housenumber].filter(Boolean).join(" ");
  return { line1, postcode: p.postcode || "", city: p.city || p.town || p.village || p.county || "", lat, lng, label: [line1, p.postcode, p.city].filter(Boolean).join(", ") };
}

function nominatimPlace(found) {
  const a = found.address || {};
  const line1 = [a.road || a.pedestrian || found.name, a.house_number].filter(Boolean).join(" ");
  return { line1, postcode: a.postcode || "", city: a.city || a.town || a.village || a.county || "", lat: Number(found.lat), lng: Number(found.lon), label: found.display_name };
}

export const available = Boolean(config.geocoder);

async function ask(path, params) {
  const url = new URL(`${config.geocoder.url}${path}`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`The address search answered ${response.status}.`);
  return response.json();
}

/** Up to five places matching `text`. */
export async function search(text) {
  if (config.geocoder.api === "nominatim") {
    return (await ask("/search", { q: text, format: "jsonv2", addressdetails: 1, limit: 5 })).map(nominatimPlace);
  }
  return (await ask("/api", { q: text, limit: 5 })).features.map(photonPlace);
}

/** The address at a position, or null. */
export async function reverse(lat, lng) {
  if (config.geocoder.api === "nominatim") {
    const found = await ask("/reverse", { lat, lon: lng, format: "jsonv2", addressdetails: 1 });
    return found && found.lat ? nominatimPlace(found) : null;
  }
  const features = (await ask("/reverse", { lat, lon: lng, limit: 1 })).features;
  return features.length ? photonPlace(features[0]) : null;
}
