package dev.databaseunit.operator.cache;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.common.IsolatedTick;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.databaseunit.UnitWakeups;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * One unit's Redis, looked at on the operator's shared loop scheduler rather than on the reconcile thread: INFO,
 * maxmemory and maxmemory-policy (again after a restart), and the TTL sweep, a SCAN of every cached key. The reconcile
 * reads the last sample. The unit is woken when a sample says something new (a problem, a restart, traffic: hits,
 * misses, evictions, an invalidation's lag), so an idle cache costs no reconcile and a busy one at most one per sample.
 */
final class CacheSampler {
  static final Duration SAMPLE_INTERVAL = Duration.ofSeconds(15);
  static final Duration TTL_SWEEP_INTERVAL = Duration.ofMinutes(5);

  /** The last look: an INFO sample (null before the first succeeded) and the problem it found, if any. */
  record Sample(RedisInfo info, Double hitRatio, Optional<UnitProblem> problem) {}

  /** What a wake-up compares; the problem by reason and message, as the unit shows it. */
  private record Seen(String runId, long hits, long misses, long evicted, long lagMicros, Optional<EventReason> reason,
      Optional<String> message) {
    static Seen of(Sample sample, long lagMicros) {
      RedisInfo info = sample.info();
      return new Seen(info != null ? info.runId() : null, info != null ? info.hits() : -1, info != null ? info.misses() : -1,
          info != null ? info.evictedKeys() : -1, lagMicros, sample.problem().map(UnitProblem::reason),
          sample.problem().map(Throwable::getMessage));
    }
  }

  private final String unitKey;
  private final CacheServers servers;
  private final CacheMetrics.UnitValues values;
  private final EventRecorder events;
  private final Clock clock;
  private final UnitWakeups.Told<Seen> told;
  /** The last invalidation's lag in microseconds (-1: none yet), set by the unit's invalidation listener. */
  final AtomicLong lastLagMicros = new AtomicLong(-1);
  private volatile DatabaseUnit unit;
  private volatile RedisEndpoint endpoint;
  private volatile EffectiveCachePolicy policy;
  private String appliedRunId;
  private Instant lastTtlSweep;
  private RedisInfo previousInfo;
  private volatile Sample last = new Sample(null, null, Optional.empty());
  private final Object schedule = new Object();
  private ScheduledFuture<?> future;

  CacheSampler(String unitKey, CacheServers servers, CacheMetrics.UnitValues values, EventRecorder events, Clock clock,
      UnitWakeups wakeups) {
    this.unitKey = unitKey;
    this.servers = servers;
    this.values = values;
    this.events = events;
    this.clock = clock;
    this.told = wakeups.told(unitKey);
  }

  /**
   * Called by each reconcile. A new or changed endpoint or policy is sampled (and applied) right here, so a wrong
   * address or a refused CONFIG SET shows in this reconcile; the TTL sweep stays on the scheduler.
   */
  Sample update(DatabaseUnit unit, RedisEndpoint endpoint, EffectiveCachePolicy policy, ScheduledExecutorService scheduler) {
    this.unit = unit;
    if (!endpoint.equals(this.endpoint) || !policy.equals(this.policy)) {
      // Waits for a running tick (a sweep, maybe) only when something changed, never on a steady unit.
      synchronized (this) {
        this.endpoint = endpoint;
        this.policy = policy;
        sample(false);
      }
    }
    synchronized (schedule) {
      if (future == null) {
        // The first tick at once: it carries the first TTL sweep.
        future = scheduler.scheduleWithFixedDelay(new IsolatedTick("cache-sampler " + unitKey, this::tick), 0,
            SAMPLE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
    Sample sample = last;
    told.read(Seen.of(sample, lastLagMicros.get()));
    return sample;
  }

  private synchronized void tick() {
    sample(true);
    told.offer(Seen.of(last, lastLagMicros.get()));
  }

  private void sample(boolean sweep) {
    try {
      CacheServer server = servers.server(unitKey, endpoint);
      RedisInfo info = applyMemoryPolicy(server);
      if (sweep) {
        sweepTtls(server);
      }
      Double hitRatio = info.hitRatioSince(previousInfo);
      previousInfo = info;
      values.info = info;
      values.hitRatio = hitRatio == null ? Double.NaN : hitRatio;
      last = new Sample(info, hitRatio, Optional.empty());
    } catch (UnitProblem problem) {
      last = new Sample(last.info(), last.hitRatio(), Optional.of(problem));
    } catch (RedisException e) {
      servers.close(unitKey);
      last = new Sample(last.info(), last.hitRatio(), Optional.of(redisProblem(endpoint, e)));
    }
  }

  private RedisInfo applyMemoryPolicy(CacheServer server) throws UnitProblem {
    RedisInfo info = server.info();
    if (!CacheDecisions.memoryConfigDue(policy, appliedRunId, info.runId(), server.memoryConfig())) {
      return info;
    }
    try {
      server.setMemoryConfig(policy.maxMemoryBytes(), policy.evictionPolicy());
    } catch (RedisCommandExecutionException e) {
      throw new UnitProblem(EventReason.CacheConfigRejected, "Redis refused CONFIG SET maxmemory " + policy.maxMemoryBytes()
          + " maxmemory-policy " + policy.evictionPolicy() + " (set them in the server's configuration instead): " + e.getMessage());
    }
    if (appliedRunId != null && !appliedRunId.equals(info.runId())) {
      events.record(unit, EventRecorder.Type.Normal, EventReason.CacheConfigReapplied, "Redis restarted (new run_id); "
          + "maxmemory " + policy.maxMemoryBytes() + " and maxmemory-policy " + policy.evictionPolicy() + " applied again");
    }
    appliedRunId = info.runId();
    return server.info();
  }

  private void sweepTtls(CacheServer server) {
    Instant now = clock.instant();
    if (!CacheDecisions.ttlSweepDue(lastTtlSweep, now, TTL_SWEEP_INTERVAL)) {
      return;
    }
    for (var type : policy.types()) {
      var fixed = new AtomicLong();
      server.scan(policy.keyPattern(type.dataType()), page -> {
        var ttls = server.ttls(page);
        var withoutTtl = IntStream.range(0, page.size()).filter(i -> ttls.get(i) == -1).mapToObj(page::get).toList();
        if (!withoutTtl.isEmpty()) {
          server.expire(withoutTtl, type.ttlSeconds());
          fixed.addAndGet(withoutTtl.size());
        }
      });
      if (fixed.get() > 0) {
        values.keysGivenTtl.increment(fixed.get());
        events.record(unit, EventRecorder.Type.Warning, EventReason.CacheKeysWithoutTtl, fixed.get() + " keys of "
            + type.dataType() + " had no TTL and were given " + type.ttlSeconds() + "s; the application should set it");
      }
    }
    lastTtlSweep = now;
  }

  void stop() {
    synchronized (schedule) {
      if (future != null) {
        future.cancel(false);
        future = null;
      }
    }
  }

  static UnitProblem redisProblem(RedisEndpoint endpoint, RedisException e) {
    String where = endpoint != null ? endpoint.address() : "(unknown)";
    String password = endpoint != null ? endpoint.password() : null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = Objects.requireNonNullElse(t.getMessage(), "");
      if (m.contains("WRONGPASS") || m.contains("NOAUTH") || m.contains("invalid password")) {
        return new UnitProblem(EventReason.CacheAuthenticationFailed, "Redis at " + where + " refused user "
            + (endpoint.username() != null ? endpoint.username() : "default") + ": " + DatabaseFailures.redact(m, password));
      }
    }
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return new UnitProblem(EventReason.CacheUnreachable, "Cannot use Redis at " + where + ": "
        + DatabaseFailures.redact(root.getMessage(), password), e);
  }
}
