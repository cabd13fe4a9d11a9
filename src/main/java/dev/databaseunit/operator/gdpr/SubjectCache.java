package dev.databaseunit.operator.gdpr;

/** The unit's Redis, as far as an erasure needs it: remove the subject's keys. */
public interface SubjectCache extends AutoCloseable {
  /** A unit without a cache: nothing to remove. */
  SubjectCache NONE = new SubjectCache() {
    @Override
    public long invalidate(SubjectCacheKeys.Keys keys) {
      return 0;
    }

    @Override
    public void close() {}
  };

  /** UNLINKs every key matching a pattern (SCAN, never KEYS) and every exact key; returns how many were removed. */
  long invalidate(SubjectCacheKeys.Keys keys);

  @Override
  void close();
}
