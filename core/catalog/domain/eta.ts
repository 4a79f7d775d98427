/** Minutes to deliver over `km`: picking and handover take about 8, riding about 2 per km. */
export function etaMinutes(km: number): number {
  return Math.round(8 + 2 * km);
}
