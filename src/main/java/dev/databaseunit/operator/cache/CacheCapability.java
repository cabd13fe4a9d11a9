package dev.databaseunit.operator.cache;

import dev.databaseunit.operator.api.v1alpha1.CredentialsRef;
import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.CacheStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.InactiveCachePolicy;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.LastInvalidation;
import dev.databaseunit.operator.common.DesiredObjects;
import dev.databaseunit.operator.common.EgressPolicy;
import dev.databaseunit.operator.common.GeneratedSecrets;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.databaseunit.UnitWakeups;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.CaCertificates;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.api.v1alpha1.SecretKeyRef;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lettuce.core.RedisException;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unit's Redis cache: applies maxmemory and maxmemory-policy (again after a Redis restart), publishes the
 * effective policy as the ConfigMap {@code <unit>-cache-policy}, installs the invalidation triggers and keeps a
 * listener per unit, runs manual invalidations once per generation, gives TTL-less keys their type's TTL, and
 * reports INFO statistics in status.cache and as metrics. What needs Redis on a clock (INFO, the memory settings,
 * the TTL sweep) runs in a {@link CacheSampler} per unit, off the reconcile thread; the objects are written through
 * {@link DesiredObjects}, so a steady unit costs neither an API call nor a Redis scan per reconcile.
 */
public final class CacheCapability implements UnitCapability, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CacheCapability.class);

  /** What the operator remembers about a unit's cache between reconciles. */
  private static final class UnitState {
    final CacheSampler sampler;
    volatile InvalidationListener listener;
    /** The database the triggers were installed in, to remove them when the unit is deleted. */
    volatile PostgresTarget triggersIn;
    UnitState(CacheSampler sampler) {
      this.sampler = sampler;
    }
  }

  private final KubernetesClient client;
  private final EventRecorder events;
  private final Clock clock;
  private final CaCertificates caFiles;
  private final EgressPolicy egress;
  private final CacheMetrics metrics;
  private final CacheServers servers = new CacheServers();
  private final Map<String, UnitState> units = new ConcurrentHashMap<>();
  private final ScheduledExecutorService scheduler;
  private final DesiredObjects objects;
  private final UnitWakeups wakeups;

  /**
   * @param egress whether a Redis password may be sent to spec.cache.external
   * @param scheduler starts each unit's sampler ticks (the operator's shared loop scheduler)
   */
  public CacheCapability(KubernetesClient client, EventRecorder events, Clock clock, MeterRegistry registry, CaCertificates caFiles,
      EgressPolicy egress, ScheduledExecutorService scheduler, DesiredObjects objects, UnitWakeups wakeups) {
    this.scheduler = scheduler;
    this.objects = objects;
    this.wakeups = wakeups;
    this.egress = egress;
    this.client = client;
    this.events = events;
    this.clock = clock;
    this.caFiles = caFiles;
    this.metrics = new CacheMetrics(registry);
  }

  public static String policyConfigMapName(String unitName) {
    return unitName + "-cache-policy";
  }

  @Override
  public String name() {
    return "cache";
  }

  @Override
  public Outcome reconcile(UnitContext context, DatabaseUnitStatus status) {
    DatabaseUnit unit = context.unit();
    CacheSpec spec = unit.getSpec().cache();
    if (spec == null) {
      return removeCache(context, status);
    }
    var declared = EffectiveCachePolicy.of(unit.getMetadata().getNamespace(), unit.getMetadata().getName(), spec);
    var values = metrics.of(context.unitKey());
    UnitState state = units.computeIfAbsent(context.unitKey(),
        key -> new UnitState(new CacheSampler(key, servers, values, events, clock, wakeups)));
    CacheStatus previous = status.cache();
    LastInvalidation lastInvalidation = previous != null ? previous.lastInvalidation() : null;
    RedisEndpoint endpoint = null;
    try {
      List<InactiveCachePolicy> inactive = inactiveDefaults(context, spec, declared);
      var policy = declared.withoutTypes(inactive.stream().map(InactiveCachePolicy::dataType).toList());
      publishPolicy(context, policy);
      endpoint = spec.external() != null ? RedisEndpoint.resolve(unit, context.secrets(), egress)
          : managedRedis(context, policy);
      CacheSampler.Sample sample = state.sampler.update(unit, endpoint, policy, scheduler);
      if (sample.problem().isPresent()) {
        return Outcome.degraded(status.withCache(previous), sample.problem().get());
      }
      ensureInvalidation(context, state, policy);
      lastInvalidation = invalidateIfRequested(unit, servers.server(context.unitKey(), endpoint), policy, spec.invalidate(),
          lastInvalidation, values);
      var done = Outcome.done(status.withCache(cacheStatus(sample.info(), sample.hitRatio(), state, lastInvalidation, inactive)));
      // A default type waits for its table, which only a look at the database finds: looked for once per sample.
      return inactive.isEmpty() ? done : done.recheckAfter(CacheSampler.SAMPLE_INTERVAL);
    } catch (UnitProblem problem) {
      return Outcome.degraded(status.withCache(previous), problem);
    } catch (RedisException e) {
      servers.close(context.unitKey());
      return Outcome.degraded(status.withCache(previous), CacheSampler.redisProblem(endpoint, e));
    }
  }

  /**
   * The event-driven types of the default policy table whose source table or key column the database lacks (a unit
   * without the seed's schema): they do not apply, and the unit stays Ready. Looked at on every reconcile, so a
   * type applies as soon as a migration creates its table.
   */
  private static List<InactiveCachePolicy> inactiveDefaults(UnitContext context, CacheSpec spec, EffectiveCachePolicy policy)
      throws UnitProblem {
    if (!EffectiveCachePolicy.usesDefaultPolicies(spec) || policy.eventDrivenTypes().isEmpty()) {
      return List.of();
    }
    try (Connection connection = context.dataSource().orElseThrow().getConnection()) {
      List<InactiveCachePolicy> inactive = new ArrayList<>();
      for (var type : policy.eventDrivenTypes()) {
        InvalidationTriggers.missingSource(connection, type).ifPresent(inactive::add);
      }
      return inactive;
    } catch (SQLException e) {
      throw DatabaseFailures.classify(context.target().orElseThrow(), e);
    }
  }

  /** Publishes the policy document. */
  private void publishPolicy(UnitContext context, EffectiveCachePolicy policy) {
    DatabaseUnit unit = context.unit();
    String name = policyConfigMapName(unit.getMetadata().getName());
    Map<String, String> data = Map.of(EffectiveCachePolicy.CONFIG_MAP_KEY, policy.toJson());
    objects.apply(owner(context.unitKey()), new ConfigMapBuilder().withMetadata(ManagedRedis.metadata(unit, name))
        .withData(data).build(), context.live());
  }

  /**
   * The Redis the operator runs for the unit: its Secret (made once), Service and StatefulSet; the endpoint is
   * the Service. The operator must run in the cluster to reach it.
   */
  private RedisEndpoint managedRedis(UnitContext context, EffectiveCachePolicy policy) throws UnitProblem {
    DatabaseUnit unit = context.unit();
    PostgresTargets.SecretLookup secrets = context.secrets();
    String namespace = unit.getMetadata().getNamespace();
    String unitName = unit.getMetadata().getName();
    String secretName = ManagedRedis.credentialsSecret(unitName);
    var credentials = GeneratedSecrets.createOnce(client, secrets.find(namespace, secretName), () -> ManagedRedis.newCredentials(unit));
    objects.apply(owner(context.unitKey()), ManagedRedis.service(unit), context.live());
    objects.apply(owner(context.unitKey()), ManagedRedis.statefulSet(unit, policy), context.live());
    PostgresTargets.SecretLookup existing = (ns, name) -> java.util.Optional.ofNullable(credentials);
    return new RedisEndpoint(ManagedRedis.serviceHost(unitName, namespace), ManagedRedis.PORT, false, "default",
        PostgresTargets.value(existing, namespace, new SecretKeyRef(secretName, CredentialsRef.PASSWORD)), null);
  }

  private void ensureInvalidation(UnitContext context, UnitState state, EffectiveCachePolicy policy) throws UnitProblem {
    DataSource dataSource = context.dataSource().orElseThrow();
    PostgresTarget target = context.target().orElseThrow();
    try (Connection connection = dataSource.getConnection()) {
      InvalidationTriggers.ensure(connection, policy.eventDrivenTypes());
    } catch (SQLException e) {
      throw DatabaseFailures.classify(target, e);
    }
    state.triggersIn = policy.eventDrivenTypes().isEmpty() ? null : target;
    InvalidationListener listener = state.listener;
    if (policy.eventDrivenTypes().isEmpty()) {
      stopListener(state);
    } else if (listener == null || !listener.serves(target, policy)) {
      stopListener(state);
      state.listener = new InvalidationListener(context.unitKey(), target, caFiles, policy,
          () -> servers.existing(context.unitKey()), clock, observer(context.unitKey(), state));
      state.listener.start();
    }
  }

  private InvalidationListener.Observer observer(String unitKey, UnitState state) {
    var values = metrics.of(unitKey);
    return new InvalidationListener.Observer() {
      @Override
      public void invalidated(int keys, Duration lag) {
        long micros = lag.isNegative() ? 0 : lag.toNanos() / 1000;
        state.sampler.lastLagMicros.set(micros);
        values.invalidationLagSeconds = micros / 1e6;
        values.keysInvalidated.increment(keys);
      }

      @Override
      public void reconnected() {
        values.listenerReconnects.increment();
      }
    };
  }

  private LastInvalidation invalidateIfRequested(DatabaseUnit unit, CacheServer server, EffectiveCachePolicy policy,
      CacheSpec.Invalidation requested, LastInvalidation last, CacheMetrics.UnitValues values) {
    if (!CacheDecisions.invalidationDue(requested, last)) {
      return last;
    }
    var removed = new AtomicLong();
    server.scan(policy.keyPattern(requested.dataType()), page -> removed.addAndGet(server.unlink(page)));
    server.publish(policy.invalidationChannel(), policy.key(requested.dataType(), "*"));
    values.keysInvalidated.increment(removed.get());
    events.record(unit, EventRecorder.Type.Normal, EventReason.CacheInvalidated, "Removed " + removed.get() + " keys of "
        + requested.dataType() + " (invalidate generation " + requested.generation() + ")");
    return new LastInvalidation(requested.dataType(), requested.generation(), removed.get(), clock.instant().toString());
  }

  private static CacheStatus cacheStatus(RedisInfo info, Double hitRatio, UnitState state, LastInvalidation lastInvalidation,
      List<InactiveCachePolicy> inactive) {
    long lagMicros = state.sampler.lastLagMicros.get();
    return new CacheStatus(hitRatio, info.hits(), info.misses(), info.evictedKeys(), info.usedMemoryBytes(),
        info.maxMemoryBytes(), info.opsPerSecond(), lagMicros < 0 ? null : lagMicros / 1000.0, lastInvalidation,
        inactive.isEmpty() ? null : inactive);
  }

  /** spec.cache was removed: stop the listener, drop our triggers and queue, and forget the unit's Redis. */
  private Outcome removeCache(UnitContext context, DatabaseUnitStatus status) {
    releaseUnit(context.unitKey());
    if (status.cache() != null && context.dataSource().isPresent()) {
      try (Connection connection = context.dataSource().get().getConnection()) {
        InvalidationTriggers.uninstall(connection);
      } catch (SQLException e) {
        return Outcome.degraded(status, DatabaseFailures.classify(context.target().orElseThrow(), e));
      }
    }
    return Outcome.done(status.withCache(null));
  }

  private static void stopListener(UnitState state) {
    InvalidationListener listener = state.listener;
    state.listener = null;
    if (listener != null) {
      listener.close();
    }
  }

  private UnitState releaseUnit(String unitKey) {
    UnitState state = units.remove(unitKey);
    if (state != null) {
      state.sampler.stop();
      stopListener(state);
    }
    objects.forget(owner(unitKey));
    servers.close(unitKey);
    metrics.remove(unitKey);
    return state;
  }

  private static String owner(String unitKey) {
    return unitKey + " cache";
  }

  /** Also removes the triggers and queue: nobody would drain the queue any more. */
  @Override
  public void unitDeleted(String unitKey) {
    UnitState state = releaseUnit(unitKey);
    PostgresTarget target = state != null ? state.triggersIn : null;
    if (target != null) {
      try (Connection connection = DriverManager.getConnection(target.jdbcUrl(), target.jdbcProperties(caFiles))) {
        InvalidationTriggers.uninstall(connection);
      } catch (SQLException e) {
        log.warn("Could not remove the cache invalidation triggers of {} from {}: {}", unitKey, target,
            DatabaseFailures.redact(e.getMessage(), target.password()));
      }
    }
  }

  @Override
  public void close() {
    units.keySet().forEach(this::releaseUnit);
    servers.close();
    log.debug("Cache capability stopped");
  }
}
