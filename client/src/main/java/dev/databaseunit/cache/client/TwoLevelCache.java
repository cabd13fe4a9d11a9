package dev.databaseunit.cache.client;

import com.github.benmanes.caffeine.cache.Ticker;
import io.lettuce.core.RedisURI;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The application-side cache of one DatabaseUnit: an in-process L1 per data type (Caffeine) in front of the unit's
 * Redis (L2), with each type's TTL and write strategy taken from the policy the operator publishes
 * ({@link CachePolicies}). One instance per application process and unit; thread-safe.
 *
 * <pre>
 * try (var cache = TwoLevelCache.builder(RedisURI.create("redis://cache:6379"), CachePolicies.load(path)).build()) {
 *   CachedType&lt;String&gt; users = cache.type("user_profiles", ValueCodec.STRING, usersTable);
 *   users.put("42", json);          // write-through: database, then L2, then L1
 *   users.get("42");                // L1 hit
 * }
 * </pre>
 *
 * Invalidation: every change is published as the full key on the policy's {@code invalidationChannel}; anyone
 * (the operator does) may publish keys there, one per line, to drop them from every instance's L1, or
 * {@code <keyPrefix>:<type>:*} to drop a whole type. See {@link CachedType} for the failure semantics and
 * {@link RedisLayer} for the choice of pub/sub over keyspace notifications.
 */
public final class TwoLevelCache implements AutoCloseable {
  private final CachePolicies policies;
  private final Builder settings;
  private final RedisLayer l2;
  private final Map<String, CachedType<?>> types = new ConcurrentHashMap<>();

  private TwoLevelCache(Builder builder) {
    this.policies = builder.policies;
    this.settings = builder;
    this.l2 = new RedisLayer(builder.redis, policies.keyNamespace(), policies.invalidationChannel(), builder.redisTimeout,
        builder.trustedCertificates, new RedisLayer.InvalidationListener() {
          @Override
          public void keyChanged(String key) {
            dropLocal(key);
          }

          @Override
          public void everythingMayHaveChanged() {
            types.values().forEach(CachedType::dropAllLocal);
          }
        });
  }

  public static Builder builder(RedisURI redis, CachePolicies policies) {
    return new Builder(redis, policies);
  }

  /** The cache of one data type; its policy must exist. Each type is registered once per cache. */
  public <V> CachedType<V> type(String dataType, ValueCodec<V> codec, CacheBacking<V> backing) {
    CachePolicy policy = policies.forType(dataType)
        .orElseThrow(() -> new IllegalArgumentException("no cache policy for data type " + dataType));
    var metrics = new TypeMetrics(settings.registry, settings.tags, dataType);
    var type = new CachedType<>(policies.keyNamespace(), policy, codec, backing, l2, l2::invalidationsLive,
        settings.l1MaximumSize, settings.ticker, metrics, this::newWriteBehindQueue);
    if (types.putIfAbsent(dataType, type) != null) {
      throw new IllegalStateException("data type " + dataType + " is already registered");
    }
    return type;
  }

  /** True while L1 may serve (the invalidation subscription is up). */
  public boolean l1Active() {
    return l2.invalidationsLive();
  }

  /** Keys that could not be removed from L2 during an outage and will be removed when it answers again. */
  int staleKeyCount() {
    return l2.staleKeyCount();
  }

  private <V> WriteBehindQueue<V> newWriteBehindQueue(String dataType, CacheBacking<V> backing,
      Consumer<Map<String, V>> committed, Consumer<Set<String>> giveUp) {
    return new WriteBehindQueue<>(dataType, backing, settings.writeBehind, committed, giveUp, settings.registry,
        settings.tags);
  }

  private void dropLocal(String key) {
    String namespace = policies.keyNamespace();
    String rest = key.startsWith(namespace) ? key.substring(namespace.length()) : null;
    int colon = rest == null ? -1 : rest.indexOf(':');
    if (colon < 0) {
      return;
    }
    CachedType<?> type = types.get(rest.substring(0, colon));
    if (type == null) {
      return;
    }
    if (rest.endsWith(":*") && colon == rest.length() - 2) {
      type.dropAllLocal();
    } else {
      type.dropLocal(key);
    }
  }

  /** Drains the write-behind queues (up to their close timeout), then disconnects from Redis. */
  @Override
  public void close() {
    types.values().forEach(CachedType::closeWriteBehind);
    l2.close();
  }

  public static final class Builder {
    private final RedisURI redis;
    private final CachePolicies policies;
    private MeterRegistry registry = new SimpleMeterRegistry();
    private Tags tags = Tags.empty();
    private long l1MaximumSize = 10_000;
    private Duration redisTimeout = Duration.ofMillis(250);
    private WriteBehindSettings writeBehind = WriteBehindSettings.defaults();
    private Ticker ticker = Ticker.systemTicker();
    private Path trustedCertificates;

    private Builder(RedisURI redis, CachePolicies policies) {
      this.redis = Objects.requireNonNull(redis, "redis");
      this.policies = Objects.requireNonNull(policies, "policies");
    }

    /** Where the meters go, with tags common to all of them (e.g. namespace and unit). */
    public Builder meterRegistry(MeterRegistry registry, Tags tags) {
      this.registry = registry;
      this.tags = tags;
      return this;
    }

    /** Most entries in each type's L1 (default 10 000); 0 disables L1. */
    public Builder l1MaximumSize(long entries) {
      this.l1MaximumSize = entries;
      return this;
    }

    /** How long a Redis call may take before the get falls through to the database (default 250 ms). */
    public Builder redisTimeout(Duration timeout) {
      this.redisTimeout = timeout;
      return this;
    }

    public Builder writeBehind(WriteBehindSettings settings) {
      this.writeBehind = settings;
      return this;
    }

    /**
     * CA certificates (PEM) to verify a TLS Redis with, e.g. the mounted key of the Secret the policy document
     * names in {@code redis.caSecret}; without it the JVM's trust store is used.
     */
    public Builder trustedCertificates(Path pemFile) {
      this.trustedCertificates = pemFile;
      return this;
    }

    /** The clock of L1 expiry; tests pass a fake one. */
    public Builder ticker(Ticker ticker) {
      this.ticker = ticker;
      return this;
    }

    public TwoLevelCache build() {
      return new TwoLevelCache(this);
    }
  }
}
