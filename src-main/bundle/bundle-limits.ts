// How much a bundle from elsewhere may hold. A bundle is read into memory and its entries
// expanded there, so a few hundred bytes built to expand into gigabytes (a zip bomb) must be
// refused from the sizes its directory declares and again, if those lie, as the real output
// grows. Tests pass smaller limits to build hostile bundles cheaply.
export interface BundleLimits {
  maxEntries: number;
  /** All entries expanded, together. */
  maxTotalBytes: number;
  maxEntryBytes: number;
  /** Expanded size over stored size, for an entry larger than ratioFloorBytes. */
  maxRatio: number;
  /**
   * Below this expanded size the ratio is not judged: a small file of repeated bytes (an
   * empty configuration page) compresses far past any ratio and can harm nothing.
   */
  ratioFloorBytes: number;
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = {
  maxEntries: 10_000,
  maxTotalBytes: 512 * 1024 * 1024,
  maxEntryBytes: 256 * 1024 * 1024,
  maxRatio: 200,
  ratioFloorBytes: 1024 * 1024,
};
