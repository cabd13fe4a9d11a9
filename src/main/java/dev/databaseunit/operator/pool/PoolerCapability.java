package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.api.v1alpha1.PoolerSpec;
import dev.databaseunit.operator.api.v1alpha1.SecretKeyRef;
import dev.databaseunit.operator.common.DesiredObjects;
import dev.databaseunit.operator.common.GeneratedSecrets;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.databaseunit.UnitWakeups;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.pool.PoolSizingPolicy.Direction;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.postgres.UnitDataSources;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The pooler of a unit: in managed mode the PgBouncer objects (applied in place, owned by the unit), in both
 * modes a {@link PoolController} loop per unit on the operator's shared scheduler, started, updated and stopped
 * with the spec. The loop writes Events itself at each step; the status it publishes reaches the unit through
 * this capability: the loop wakes the unit when what it publishes (status or problem) changed, so an idle pool
 * costs no reconcile at all.
 */
public final class PoolerCapability implements UnitCapability {
  private final KubernetesClient client;
  private final EventRecorder events;
  private final MeterRegistry registry;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final DesiredObjects objects;
  private final UnitWakeups wakeups;
  private final Map<String, Loop> loops = new ConcurrentHashMap<>();

  /** What the unit was last told, so the loop wakes it only for something new. */
  private record Published(DatabaseUnitStatus.PoolerStatus status, Optional<EventReason> reason, Optional<String> message) {
    static Published of(ReplicaPools pools) {
      var problem = pools.problem();
      return new Published(pools.status(), problem.map(UnitProblem::reason), problem.map(Throwable::getMessage));
    }
  }

  private static final class Loop {
    final ReplicaPools pools;
    final PoolMetrics metrics;
    volatile DatabaseUnit unit;
    ScheduledFuture<?> future;
    Duration interval;
    final UnitWakeups.Told<Published> told;

    Loop(ReplicaPools pools, PoolMetrics metrics, DatabaseUnit unit, UnitWakeups.Told<Published> told) {
      this.pools = pools;
      this.metrics = metrics;
      this.unit = unit;
      this.told = told;
    }
  }

  public PoolerCapability(KubernetesClient client, EventRecorder events, MeterRegistry registry,
      ScheduledExecutorService scheduler, Clock clock, DesiredObjects objects, UnitWakeups wakeups) {
    this.client = client;
    this.events = events;
    this.registry = registry;
    this.scheduler = scheduler;
    this.clock = clock;
    this.objects = objects;
    this.wakeups = wakeups;
  }

  @Override
  public String name() {
    return "pooler";
  }

  /** The loop talks to PgBouncer, not through the operator's own connection to the database. */
  @Override
  public boolean needsDatabase() {
    return false;
  }

  @Override
  public Outcome reconcile(UnitContext context, DatabaseUnitStatus status) {
    DatabaseUnit unit = context.unit();
    PoolerSpec spec = unit.getSpec().pooler();
    if (spec == null || Boolean.FALSE.equals(spec.enabled()) || spec.external() != null) {
      removeManagedObjects(unit, context.secrets());
    }
    if (spec == null || Boolean.FALSE.equals(spec.enabled())) {
      stopLoop(context.unitKey());
      return Outcome.done(status.withPooler(null));
    }
    try {
      PoolSettings settings = settings(spec);
      int budget = PoolBudget.limit(settings.maxSize(), status.database() != null ? status.database().clientConnections() : null,
          UnitDataSources.MAX_CONNECTIONS_PER_TARGET);
      List<ReplicaPools.Replica> replicas;
      if (spec.external() != null) {
        var endpoint = externalEndpoint(unit, spec.external(), context.secrets());
        replicas = List.of(new ReplicaPools.Replica(endpoint.host() + ":" + endpoint.port(), endpoint));
      } else {
        replicas = managedReplicas(unit, spec, context);
      }
      if (replicas.isEmpty()) {
        stopLoop(context.unitKey());
        // The EndpointSlice informer brings the unit back when a pod becomes ready; the recheck is a safety net.
        return Outcome.progressing(status, "waiting for the PgBouncer Deployment " + PgBouncerResources.name(unit)
            + " to become ready", Duration.ofSeconds(10));
      }
      Loop loop = ensureLoop(context, databaseOf(unit, context), replicas, settings, budget, status.pooler());
      Published published = Published.of(loop.pools);
      loop.told.read(published);
      var next = status.withPooler(published.status());
      return loop.pools.problem()
          .map(p -> Outcome.degraded(next, p))
          .orElseGet(() -> Outcome.done(next));
    } catch (UnitProblem p) {
      return Outcome.degraded(status, p);
    }
  }

  private static PoolSettings settings(PoolerSpec spec) throws UnitProblem {
    try {
      return PoolSettings.from(spec);
    } catch (IllegalArgumentException e) {
      throw new UnitProblem(EventReason.PoolerInvalidSpec, "spec.pooler: " + e.getMessage());
    }
  }

  private static String databaseOf(DatabaseUnit unit, UnitContext context) {
    return context.target().map(PostgresTarget::database).orElseGet(() -> {
      var postgres = unit.getSpec().postgres();
      return postgres.external() != null ? postgres.external().database() : postgres.managed().database();
    });
  }

  private static AdminEndpoint externalEndpoint(DatabaseUnit unit, PoolerSpec.ExternalPooler external,
      PostgresTargets.SecretLookup secrets) throws UnitProblem {
    String ns = unit.getMetadata().getNamespace();
    var credentials = external.adminCredentials();
    String user = PostgresTargets.value(secrets, ns, new SecretKeyRef(credentials.secretName(),
        credentials.usernameKey() != null ? credentials.usernameKey() : "username"));
    String password = PostgresTargets.value(secrets, ns, new SecretKeyRef(credentials.secretName(),
        credentials.passwordKey() != null ? credentials.passwordKey() : "password"));
    return new AdminEndpoint(external.host(), external.port() != null ? external.port() : 6432, user, password);
  }

  /**
   * Applies the managed objects; the ready PgBouncer pods, each reached at its own address (from the Service's
   * EndpointSlices in the informer cache), none while no pod is ready.
   */
  private List<ReplicaPools.Replica> managedReplicas(DatabaseUnit unit, PoolerSpec spec, UnitContext context) throws UnitProblem {
    PostgresTarget target = context.target().orElseThrow(() -> new UnitProblem(EventReason.PoolerInvalidSpec,
        "the pooler needs the unit's database credentials, which could not be resolved"));
    String ns = unit.getMetadata().getNamespace();
    String adminPassword = context.secrets().find(ns, PgBouncerResources.authSecretName(unit))
        .flatMap(s -> Optional.ofNullable(s.getData()).map(d -> d.get(PgBouncerResources.ADMIN_PASSWORD_KEY)))
        .map(b64 -> new String(Base64.getDecoder().decode(b64), java.nio.charset.StandardCharsets.UTF_8))
        .orElseGet(PoolerCapability::newPassword);
    PgBouncerResources.ClientTls tls = clientTls(unit, spec, context.secrets());
    PgBouncerResources.Desired desired;
    try {
      desired = PgBouncerResources.desired(unit, spec, target, PostgresTargets.application(unit, target, context.secrets()),
          adminPassword, tls);
    } catch (IllegalArgumentException e) {
      throw new UnitProblem(EventReason.PoolerInvalidSpec, "cannot render pgbouncer.ini: " + e.getMessage());
    }
    for (HasMetadata object : desired.all()) {
      objects.apply(owner(context.unitKey()), object, context.live());
    }
    // Scaled down to one replica: the budget of the two is no longer wanted (seen in the informer cache, so no API call
    // while there is none).
    if (desired.disruptionBudget() == null
        && context.live().find(PodDisruptionBudget.class, ns, PgBouncerResources.name(unit)).isPresent()) {
      client.policy().v1().podDisruptionBudget().inNamespace(ns).withName(PgBouncerResources.name(unit)).delete();
    }
    AdminEndpoint service = PgBouncerResources.adminEndpoint(unit, spec, adminPassword, context.secrets());
    return PoolerPods.of(context.endpointSlices().ofService(ns, PgBouncerResources.name(unit)), PoolerPods.Which.READY).stream()
        .map(pod -> new ReplicaPools.Replica(pod.name(), service.at(pod.address(), pod.port())))
        .toList();
  }

  /** The client-side certificate, issued once (from the unit's own CA) when the spec names no Secret. */
  private PgBouncerResources.ClientTls clientTls(DatabaseUnit unit, PoolerSpec spec, PostgresTargets.SecretLookup secrets)
      throws UnitProblem {
    var mode = PgBouncerResources.clientTlsMode(spec);
    if (mode == PoolerSpec.ClientTlsMode.DISABLE) {
      return null;
    }
    String ns = unit.getMetadata().getNamespace();
    String secretName = PgBouncerResources.clientTlsSecretName(unit, spec);
    Secret secret = secretName.equals(PgBouncerResources.issuedTlsSecretName(unit))
        ? GeneratedSecrets.createOnce(client, secrets.find(ns, secretName), () -> PgBouncerResources.issuedTlsSecret(unit, clock.instant()))
        : secrets.find(ns, secretName).orElse(null);
    String certificate = secret != null && secret.getData() != null ? secret.getData().get("tls.crt") : null;
    if (certificate == null) {
      // A named Secret is checked with the unit's other references; this is only reached while it is being created.
      throw new UnitProblem(EventReason.PoolerInvalidSpec, "the pooler's TLS Secret " + secretName + " has no tls.crt yet");
    }
    return new PgBouncerResources.ClientTls(mode, secretName, certificate);
  }

  /**
   * Deletes a managed pooler that is no longer wanted. Its auth Secret, seen in the informer cache, tells whether
   * there is one, so units without a managed pooler cost no API call.
   */
  private void removeManagedObjects(DatabaseUnit unit, PostgresTargets.SecretLookup secrets) {
    String ns = unit.getMetadata().getNamespace();
    if (secrets.find(ns, PgBouncerResources.authSecretName(unit)).isEmpty()) {
      return;
    }
    String name = PgBouncerResources.name(unit);
    client.policy().v1().podDisruptionBudget().inNamespace(ns).withName(name).delete();
    client.apps().deployments().inNamespace(ns).withName(name).delete();
    client.services().inNamespace(ns).withName(name).delete();
    client.configMaps().inNamespace(ns).withName(name).delete();
    client.secrets().inNamespace(ns).withName(PgBouncerResources.authSecretName(unit)).delete();
    client.secrets().inNamespace(ns).withName(PgBouncerResources.issuedTlsSecretName(unit)).delete();
    objects.forget(owner(UnitContext.keyOf(unit)));
  }

  private static String newPassword() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private Loop ensureLoop(UnitContext context, String database, List<ReplicaPools.Replica> replicas, PoolSettings settings,
      int budget, DatabaseUnitStatus.PoolerStatus previous) {
    DatabaseUnit unit = context.unit();
    Loop loop = loops.computeIfAbsent(context.unitKey(), key -> {
      var metrics = new PoolMetrics(registry, unit.getMetadata().getNamespace(), unit.getMetadata().getName());
      var holder = new Loop[1];
      var pools = new ReplicaPools(database, settings, budget, previous, clock, listener(holder), metrics);
      holder[0] = new Loop(pools, metrics, unit, wakeups.told(key));
      pools.update(replicas, settings, budget);
      pools.tick(); // the first look at once, so a wrong endpoint shows in this reconcile
      return holder[0];
    });
    loop.unit = unit;
    loop.pools.update(replicas, settings, budget);
    synchronized (loop) {
      if (loop.future == null || !settings.loopPeriod().equals(loop.interval)) {
        if (loop.future != null) {
          loop.future.cancel(false);
        }
        long millis = settings.loopPeriod().toMillis();
        // The scheduler only starts each tick: a PgBouncer that hangs stalls its own unit's loop, never another's.
        loop.future = scheduler.scheduleWithFixedDelay(new dev.databaseunit.operator.common.IsolatedTick(
            "pool-loop " + context.unitKey(), () -> tick(loop)), millis, millis, TimeUnit.MILLISECONDS);
        loop.interval = settings.loopPeriod();
      }
    }
    return loop;
  }

  private static void tick(Loop loop) {
    loop.pools.tick();
    loop.told.offer(Published.of(loop.pools));
  }

  private PoolController.Listener listener(Loop[] holder) {
    return new PoolController.Listener() {
      @Override
      public void scaled(Direction direction, int from, int to, String reason) {
        events.record(holder[0].unit, EventRecorder.Type.Normal,
            direction == Direction.UP ? EventReason.PoolScaledUp : EventReason.PoolScaledDown,
            PoolController.stepMessage(from, to, reason));
      }

      @Override
      public void reapplied(int found, int applied) {
        events.record(holder[0].unit, EventRecorder.Type.Normal, EventReason.PoolSizeReapplied,
            "PgBouncer had pool size " + found + ", applied " + applied + " again");
      }
    };
  }

  private void stopLoop(String unitKey) {
    Loop loop = loops.remove(unitKey);
    if (loop != null) {
      synchronized (loop) {
        if (loop.future != null) {
          loop.future.cancel(false);
        }
      }
      loop.metrics.close();
    }
  }

  @Override
  public void unitDeleted(String unitKey) {
    stopLoop(unitKey);
    objects.forget(owner(unitKey));
  }

  /** The pooler's objects are forgotten apart from the unit's others: removing the pooler leaves those as they are. */
  private static String owner(String unitKey) {
    return unitKey + " pooler";
  }
}
