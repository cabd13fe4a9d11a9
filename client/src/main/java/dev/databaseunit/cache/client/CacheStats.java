package dev.databaseunit.cache.client;

/** Counts since start for one data type; the hit rates the seed's targets are stated in. */
public record CacheStats(long l1Hits, long l1Misses, long l2Hits, long l2Misses, long redisErrors) {

  public long gets() {
    return l1Hits + l1Misses;
  }

  /** Share of gets answered by L1. */
  public double l1HitRate() {
    return ratio(l1Hits, l1Hits + l1Misses);
  }

  /** Share of L1 misses answered by L2 (the seed's "L2 hit rate"). */
  public double l2HitRate() {
    return ratio(l2Hits, l2Hits + l2Misses);
  }

  /** Share of gets answered by either level, i.e. not by the database. */
  public double overallHitRate() {
    return ratio(l1Hits + l2Hits, gets());
  }

  static double ratio(double part, double whole) {
    return whole == 0 ? Double.NaN : part / whole;
  }
}
