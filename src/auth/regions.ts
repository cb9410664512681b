/** Regions nest by id: the province R33 holds the city R3301, which holds the district R330102. */
export function inRegions(regionId: string, regions: readonly string[]): boolean {
  return regions.some((region) => regionId.startsWith(region));
}
