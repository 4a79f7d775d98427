import type { LatLng } from "@qc/contracts";

const EARTH_RADIUS_METERS = 6_371_000;
/** A rider on a scooter in city traffic, in metres per minute (15 km/h). */
const RIDER_SPEED_M_PER_MIN = 250;
/** Picking and packing at the dark store before the rider can leave. */
const PACKING_MINUTES = 3;

const radians = (degrees: number) => (degrees * Math.PI) / 180;

/** Great-circle distance between two points (haversine), in metres. */
export function distanceMeters(a: LatLng, b: LatLng): number {
  const dLat = radians(b.lat - a.lat);
  const dLng = radians(b.lng - a.lng);
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_METERS * Math.asin(Math.sqrt(h));
}

/** Minutes until the order arrives: the rider rides to the store (while it is packed), then to the shopper. */
export function etaMinutes(rider: LatLng, store: LatLng, address: LatLng): number {
  const toStore = distanceMeters(rider, store) / RIDER_SPEED_M_PER_MIN;
  const toShopper = distanceMeters(store, address) / RIDER_SPEED_M_PER_MIN;
  return Math.ceil(Math.max(toStore, PACKING_MINUTES) + toShopper);
}

/** Minutes until a rider who has the order reaches the shopper. */
export function rideMinutes(rider: LatLng, address: LatLng): number {
  return Math.ceil(distanceMeters(rider, address) / RIDER_SPEED_M_PER_MIN);
}

/** Whether the store delivers to the address: within its service radius. */
export function serves(store: LatLng & { service_radius_meters: number }, address: LatLng): boolean {
  return distanceMeters(store, address) <= store.service_radius_meters;
}
