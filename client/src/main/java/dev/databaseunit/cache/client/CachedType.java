package dev.databaseunit.cache.client;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One data type of a {@link TwoLevelCache}: its L1 (Caffeine, bounded, entries live at most as long as the L2 key
 * they were promoted from), its policy's write strategy, and its meters. Keys are {@code <keyPrefix>:<type>:<id>}.
 *
 * <p><b>Reads</b> (all strategies): L1, else L2 (a hit is promoted to L1), else the database (the value is set in
 * L2 with SET NX, so it never overwrites a newer write, and promoted). If Redis is unreachable, reads fall through
 * to the database within the Redis timeout, and L1 is bypassed because invalidations cannot be received.
 *
 * <p><b>Writes</b> by {@link CachePolicy.WriteStrategy}:
 * <ul>
 *   <li>write-through: the database first, then L2 (SET + publish), then L1; with a backing that implements
 *       {@link CacheBacking#write(Map, Runnable)} the cache is set after the rows are written but before COMMIT, so
 *       concurrent writers of one key leave the last committed value cached. If the database write fails, the key
 *       is removed from L2 and every L1 (the write may or may not have committed, e.g. a connection lost during
 *       COMMIT, so the old cached value is not trusted either) and {@link CacheWriteException} is thrown. If the
 *       database write succeeds but Redis fails, the put succeeds (the database is the truth), the local L1 copy
 *       is dropped and the key is removed from L2 as soon as Redis answers again.</li>
 *   <li>write-behind: room in the bounded queue is reserved first (blocking up to the offer timeout, then
 *       {@link WriteBehindFullException}: nothing cached, nothing queued), then L2 + L1 are set, then the write is
 *       queued for the batched, retried database write. A crash loses what is queued (at most the queue capacity);
 *       a batch that fails all attempts is removed from the cache; after a batch commits, keys whose cached value is
 *       not the committed one are removed (compare-and-delete in Redis), so concurrent writers converge.</li>
 *   <li>cache-aside: the database write, then the key is removed from L2 and every L1; the next read loads it.</li>
 * </ul>
 *
 * <p><b>Staleness bound</b>: an instance's L1 copy is dropped when the invalidation message for its key arrives
 * (pub/sub delivery, typically well under a millisecond on a LAN); a promotion that raced an invalidation is
 * undone (per-stripe invalidation counters). What remains: a read that loaded from the database before a
 * concurrent cache-aside write committed can put the old value into L2 (bounded by the TTL), the usual
 * cache-aside race.
 */
public final class CachedType<V> {
  private static final int STRIPES = 64;

  private record Held<V>(V value, Duration ttl) {}

  private final String keyPrefix;
  private final CachePolicy policy;
  private final ValueCodec<V> codec;
  private final CacheBacking<V> backing;
  private final RedisLayer l2;
  private final BooleanSupplier l1Usable;
  private final Cache<String, Held<V>> l1;
  private final AtomicLongArray invalidations = new AtomicLongArray(STRIPES);
  private final TypeMetrics metrics;
  private final WriteBehindQueue<V> writeBehind;

  CachedType(String keyNamespace, CachePolicy policy, ValueCodec<V> codec, CacheBacking<V> backing, RedisLayer l2,
      BooleanSupplier l1Usable, long l1MaximumSize, Ticker ticker, TypeMetrics metrics,
      WriteBehindQueueFactory writeBehindFactory) {
    this.keyPrefix = keyNamespace + policy.dataType() + ":";
    this.policy = policy;
    this.codec = codec;
    this.backing = backing;
    this.l2 = l2;
    // A size of 0 turns L1 off (L2-only deployments, and the benchmark's L2-only baseline).
    this.l1Usable = l1MaximumSize == 0 ? () -> false : l1Usable;
    this.metrics = metrics;
    this.l1 = Caffeine.newBuilder()
        .maximumSize(l1MaximumSize)
        .expireAfter(Expiry.<String, Held<V>>writing((key, held) -> held.ttl()))
        .ticker(ticker)
        // Evictions and expiry clean-up on the calling thread: handing each one to the ForkJoin pool costs more
        // than the work on a cache this size, and wakes threads on the read path.
        .executor(Runnable::run)
        .build();
    this.writeBehind = policy.writeStrategy() == CachePolicy.WriteStrategy.WRITE_BEHIND
        ? writeBehindFactory.create(policy.dataType(), backing, this::keepOnlyCommitted, this::removeAll)
        : null;
  }

  /** Creates the write-behind queue of a type; the cache supplies settings and meters. */
  interface WriteBehindQueueFactory {
    <V> WriteBehindQueue<V> create(String dataType, CacheBacking<V> backing, Consumer<Map<String, V>> committed,
        Consumer<Set<String>> giveUp);
  }

  public CachePolicy policy() {
    return policy;
  }

  public String key(String id) {
    return keyPrefix + id;
  }

  /** L1, else L2, else the database; empty only if the database has no value. */
  public Optional<V> get(String id) {
    long start = System.nanoTime();
    String key = key(id);
    if (l1Usable.getAsBoolean()) {
      Held<V> held = l1.getIfPresent(key);
      if (held != null) {
        metrics.l1Hit();
        return answered(metrics.fromL1, start, Optional.of(held.value()));
      }
    }
    metrics.l1Miss();
    long stamp = stamp(key);
    try {
      Optional<RedisLayer.Entry> entry = l2.get(key);
      if (entry.isPresent()) {
        metrics.l2Hit();
        V value = codec.decode(entry.get().value());
        Duration remaining = entry.get().remainingTtl();
        promote(key, value, remaining == null ? policy.ttl() : min(remaining, policy.ttl()), stamp);
        return answered(metrics.fromL2, start, Optional.of(value));
      }
      metrics.l2Miss();
    } catch (RedisUnavailableException e) {
      metrics.l2Miss();
      metrics.redisError();
    }
    Optional<V> loaded = load(id);
    loaded.ifPresent(value -> {
      try {
        l2.setIfAbsent(key, codec.encode(value), policy.ttl());
      } catch (RedisUnavailableException e) {
        metrics.redisError();
      }
      promote(key, value, policy.ttl(), stamp);
    });
    return answered(metrics.fromDatabase, start, loaded);
  }

  /** Writes {@code value} according to the type's write strategy (see the class comment for failure semantics). */
  public void put(String id, V value) {
    String key = key(id);
    switch (policy.writeStrategy()) {
      case WRITE_THROUGH -> {
        String encoded = codec.encode(value);
        writeToDatabase(id, value, () -> setInCache(key, encoded, value));
      }
      case WRITE_BEHIND -> {
        String encoded = codec.encode(value);
        writeBehind.reserve();
        try {
          setInCache(key, encoded, value);
        } finally {
          writeBehind.enqueue(id, value);
        }
      }
      case CACHE_ASIDE -> {
        writeToDatabase(id, value, () -> { });
        remove(key);
      }
    }
  }

  /** Removes the key from L2 and from every instance's L1 (e.g. after the application changed the row itself). */
  public void invalidate(String id) {
    remove(key(id));
  }

  /** Waits until the accepted write-behind writes are in the database; true at once for other strategies. */
  public boolean flush(Duration timeout) {
    return writeBehind == null || writeBehind.flush(timeout);
  }

  public CacheStats stats() {
    return metrics.snapshot();
  }

  /** An invalidation message for one key of this type arrived (or this instance changed it). */
  void dropLocal(String key) {
    invalidations.incrementAndGet(stripe(key));
    l1.invalidate(key);
  }

  /** Invalidations may have been missed: nothing in L1 can be trusted. */
  void dropAllLocal() {
    for (int i = 0; i < STRIPES; i++) {
      invalidations.incrementAndGet(i);
    }
    l1.invalidateAll();
  }

  void closeWriteBehind() {
    if (writeBehind != null) {
      writeBehind.close();
    }
  }

  private Optional<V> load(String id) {
    try {
      return backing.load(id);
    } catch (Exception e) {
      throw new CacheLoadException("loading " + policy.dataType() + " " + id + " failed", e);
    }
  }

  private void writeToDatabase(String id, V value, Runnable beforeCommit) {
    try {
      backing.write(Map.of(id, value), beforeCommit);
    } catch (Exception e) {
      remove(key(id));
      throw new CacheWriteException("writing " + policy.dataType() + " " + id + " to the database failed", e);
    }
  }

  private void setInCache(String key, String encoded, V value) {
    long stamp = stamp(key);
    try {
      l2.set(key, encoded, policy.ttl());
      promote(key, value, policy.ttl(), stamp);
    } catch (RedisUnavailableException e) {
      metrics.redisError();
      dropLocal(key);
      l2.rememberStale(key);
    }
  }

  private void remove(String key) {
    try {
      l2.remove(key);
    } catch (RedisUnavailableException e) {
      metrics.redisError();
    } finally {
      dropLocal(key);
    }
  }

  private void keepOnlyCommitted(Map<String, V> committed) {
    Map<String, String> byKey = new java.util.HashMap<>();
    committed.forEach((id, value) -> byKey.put(key(id), codec.encode(value)));
    try {
      l2.removeIfDifferent(byKey);
    } catch (RedisUnavailableException e) {
      metrics.redisError();
      byKey.keySet().forEach(l2::rememberStale);
    }
  }

  private void removeAll(Set<String> ids) {
    ids.forEach(id -> remove(key(id)));
  }

  /**
   * Puts into L1 unless an invalidation of the key's stripe arrived since {@code stamp} was taken (before the value
   * was read): then the value may be older than that invalidation, so it is dropped again.
   */
  private void promote(String key, V value, Duration ttl, long stamp) {
    if (ttl.isZero() || !l1Usable.getAsBoolean()) {
      return;
    }
    l1.put(key, new Held<>(value, ttl));
    if (stamp(key) != stamp) {
      l1.invalidate(key);
    }
  }

  private long stamp(String key) {
    return invalidations.get(stripe(key));
  }

  private static int stripe(String key) {
    return (key.hashCode() & 0x7fffffff) % STRIPES;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static <T> T answered(Timer timer, long start, T result) {
    timer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    return result;
  }
}
