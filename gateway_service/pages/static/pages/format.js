// Money, times and places in the person's own locale (Intl), the currency the platform sets.
import { config } from "./api.js";

const money = new Intl.NumberFormat(undefined, { style: "currency", currency: config.currency });
const time = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayAndTime = new Intl.DateTimeFormat(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
const kilometres = new Intl.NumberFormat(undefined, { style: "unit", unit: "kilometer", maximumFractionDigits: 1 });
const minutes = new Intl.NumberFormat(undefined, { style: "unit", unit: "minute", unitDisplay: "long" });

/** Integer minor units (cents) as money: 1250 -> "€12.50" (or "12,50 €", as the locale says). */
export function price(cents) {
  return money.format(cents / 100);
}

/** How many minor units a typed amount is ("12.5" or "12,50" -> 1250), or NaN. */
export function cents(text) {
  const value = Number(String(text).trim().replace(",", "."));
  return Number.isFinite(value) ? Math.round(value * 100) : Number.NaN;
}

export function clock(iso) {
  return iso ? time.format(new Date(iso)) : "";
}

/** A time today as "20:30", another day with its weekday. */
export function when(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  return at.toDateString() === new Date().toDateString() ? time.format(at) : dayAndTime.format(at);
}

export function km(value) {
  return kilometres.format(value);
}

export function duration(count) {
  return minutes.format(count);
}

export function minutesFromNow(iso) {
  return Math.max(0, Math.round((new Date(iso) - Date.now()) / 60000));
}

export function minutesSince(iso) {
  return Math.max(0, Math.floor((Date.now() - new Date(iso)) / 60000));
}

export function place(address) {
  if (!address) return "";
  return [address.line1, address.postcode, address.city].filter(Boolean).join(", ");
}
