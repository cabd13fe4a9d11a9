package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.PoolerStatus;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.pool.PoolSizingPolicy.Decision;
import dev.databaseunit.operator.pool.PoolSizingPolicy.Direction;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool loop of one unit, one {@link #tick()} per sample interval: read the pool size in force from PgBouncer
 * (never assumed), re-apply the last size we set if PgBouncer lost it (a restart), take a sample, ask the policy,
 * and apply a step live with {@code SET default_pool_size} (pools of databases without their own pool_size
 * follow it at once), keeping PgBouncer's server_idle_timeout at the unit's value. Each tick opens a fresh
 * admin connection, so a restarted PgBouncer is simply reached again and the login time is measured. State it needs after an operator restart comes from the unit's status
 * (last step time) and from PgBouncer (the size).
 */
public final class PoolController {
  private static final Logger log = LoggerFactory.getLogger(PoolController.class);
  static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(5);

  /** What the loop tells the outside world about; called on the loop's thread. */
  public interface Listener {
    void scaled(Direction direction, int from, int to, String reason);

    void reapplied(int found, int applied);
  }

  private final String database;
  private final Clock clock;
  private final Listener listener;
  private final PoolMetrics metrics;
  private final Deque<PoolSample> samples = new ArrayDeque<>();
  private AdminEndpoint endpoint;
  private PoolSettings settings;
  private Optional<Instant> lastStep;
  private String lastReason;
  /** The size we last applied or confirmed on PgBouncer; null until the first successful read after a restart. */
  private Integer applied;
  private PgBouncerAdmin.StatsRow previousStats;
  private PoolSample latest;
  private Decision lastDecision;
  private Optional<UnitProblem> problem = Optional.empty();
  private PoolerStatus published;
  private Instant publishedAt = Instant.EPOCH;

  /**
   * @param previous the unit's pooler status, or null for a new unit: then the initial size is applied first
   */
  PoolController(String database, AdminEndpoint endpoint, PoolSettings settings, PoolerStatus previous, Clock clock,
      Listener listener, PoolMetrics metrics) {
    this.database = database;
    this.endpoint = endpoint;
    this.settings = settings;
    this.clock = clock;
    this.listener = listener;
    this.metrics = metrics;
    this.published = previous;
    this.lastStep = previous != null && previous.lastScaleTime() != null
        ? Optional.of(Instant.parse(previous.lastScaleTime())) : Optional.empty();
    this.lastReason = previous != null ? previous.lastScaleReason() : null;
    this.applied = previous == null ? settings.initialSize() : null;
  }

  synchronized void update(AdminEndpoint newEndpoint, PoolSettings newSettings) {
    endpoint = newEndpoint;
    settings = newSettings;
  }

  /** One sample, decision and (maybe) step, when one is due ({@link PoolSizingPolicy#sampleDue}). Never throws: failures become {@link #problem()}. */
  public synchronized void tick() {
    Instant now = clock.instant();
    if (!PoolSizingPolicy.sampleDue(Optional.ofNullable(latest), settings, now)) {
      return;
    }
    try (PgBouncerAdminClient admin = endpoint.connect(ADMIN_TIMEOUT)) {
      int size = poolSize(admin, database);
      metrics.connected(admin.lastConnectNanos());
      if (applied != null && size != applied) {
        int target = Math.clamp(applied, settings.minSize(), settings.maxSize());
        apply(admin, target);
        if (previousStats != null || published != null) {
          listener.reapplied(size, target);
        }
        size = target;
      }
      applied = size;
      keepServerIdleTimeout(admin);
      PoolSample sample = sample(admin, size, now);
      samples.addLast(sample);
      Instant oldest = now.minus(settings.window().compareTo(settings.scaleUpCooldown()) >= 0
          ? settings.window() : settings.scaleUpCooldown());
      while (!samples.isEmpty() && samples.peekFirst().at().isBefore(oldest)) {
        samples.removeFirst();
      }
      latest = sample;
      lastDecision = PoolSizingPolicy.decide(List.copyOf(samples), size, lastStep, settings, now);
      if (lastDecision.changes()) {
        apply(admin, lastDecision.size());
        applied = lastDecision.size();
        lastStep = Optional.of(now);
        lastReason = lastDecision.reason();
        metrics.scaled(lastDecision.direction());
        listener.scaled(lastDecision.direction(), size, lastDecision.size(), lastDecision.reason());
      }
      metrics.observe(lastDecision.utilisation(), applied, settings.maxSize(), sample.clientsWaiting(), sample.averageWaitMillis());
      problem = Optional.empty();
    } catch (PgBouncerAdminException e) {
      if (problem.isEmpty()) {
        log.warn("Pool loop for database {} at {}: {}", database, endpoint, e.getMessage());
      }
      problem = Optional.of(new UnitProblem(reasonOf(e), e.getMessage()));
    } catch (RuntimeException e) {
      log.error("Pool loop for database {} failed", database, e);
      problem = Optional.of(new UnitProblem(EventReason.InternalError, "pool loop failed: " + e));
    }
  }

  /**
   * The pool size of a database: its row in SHOW DATABASES, or default_pool_size while it has none (before the
   * first client, or when PgBouncer dropped an automatically created database whose connections all closed).
   */
  static int poolSize(PgBouncerAdmin admin, String database) {
    return admin.showDatabases().stream().filter(d -> d.name().equals(database)).findFirst()
        .map(PgBouncerAdmin.DatabaseRow::poolSize)
        .orElseGet(() -> Integer.parseInt(admin.showConfig().getOrDefault("default_pool_size", "-1")));
  }

  /**
   * Keeps server_idle_timeout at the unit's value, so the server connections a spike opened close once the load
   * no longer uses them (PgBouncer reuses the most recently released connection first, and itself closes only
   * those above the pool size). Checked every tick: a restarted PgBouncer is back at its ini's value.
   */
  private void keepServerIdleTimeout(PgBouncerAdmin admin) {
    String wanted = settings.serverIdleTimeoutSetting();
    String current = admin.showConfig().get("server_idle_timeout");
    if (!sameSeconds(current, wanted)) {
      admin.set("server_idle_timeout", wanted);
      log.info("Pool loop for database {}: server_idle_timeout {} → {}s", database, current, wanted);
    }
  }

  private static boolean sameSeconds(String shown, String wanted) {
    try {
      return shown != null && new BigDecimal(shown.trim()).compareTo(new BigDecimal(wanted)) == 0;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private void apply(PgBouncerAdmin admin, int size) {
    admin.set("default_pool_size", Integer.toString(size));
    int now = poolSize(admin, database);
    if (now != size) {
      throw new PgBouncerAdminException(PgBouncerAdminException.Kind.COMMAND_FAILED, "database " + database
          + " keeps pool_size " + now + " after SET default_pool_size = " + size
          + ": it has its own pool_size in pgbouncer.ini, which only a config change and RELOAD can alter");
    }
  }

  private PoolSample sample(PgBouncerAdmin admin, int size, Instant now) {
    var pool = PgBouncerAdmin.PoolRow.sum(database, admin.showPools());
    double averageWaitMillis = 0;
    var stats = admin.showStats().stream().filter(s -> s.database().equals(database)).findFirst().orElse(null);
    if (stats != null && previousStats != null) {
      long transactions = stats.totalTransactions() - previousStats.totalTransactions();
      long waited = stats.totalWaitMicros() - previousStats.totalWaitMicros();
      averageWaitMillis = transactions > 0 && waited >= 0 ? waited / 1000.0 / transactions : 0;
    }
    previousStats = stats;
    return new PoolSample(now, size, pool.serversActive(), pool.serversIdle(), pool.serversUsed(), pool.clientsActive(),
        pool.clientsWaiting(), pool.maxWaitSeconds(), averageWaitMillis);
  }

  private static EventReason reasonOf(PgBouncerAdminException e) {
    return switch (e.kind()) {
      case UNREACHABLE -> EventReason.PoolerUnreachable;
      case AUTHENTICATION_FAILED -> EventReason.PoolerAuthenticationFailed;
      case COMMAND_FAILED -> EventReason.PoolerCommandFailed;
    };
  }

  public synchronized Optional<UnitProblem> problem() {
    return problem;
  }

  /**
   * The status to publish. It changes with the size, a step or a failure at once, and with utilisation and
   * waiting clients at most once per smoothing window, so a busy pool does not rewrite the unit every sample.
   */
  public synchronized PoolerStatus status() {
    if (latest == null || lastDecision == null) {
      return published;
    }
    Instant now = clock.instant();
    boolean sizeOrStepChanged = published == null || !Integer.valueOf(applied).equals(published.currentSize())
        || !java.util.Objects.equals(lastReason, published.lastScaleReason())
        || !java.util.Objects.equals(lastStep.map(Instant::toString).orElse(null), published.lastScaleTime());
    if (sizeOrStepChanged || !now.isBefore(publishedAt.plus(settings.window()))) {
      published = new PoolerStatus(applied, round(lastDecision.utilisation(), 100), latest.clientsWaiting(),
          round(latest.averageWaitMillis(), 10), lastStep.map(Instant::toString).orElse(null), lastReason);
      publishedAt = now;
    }
    return published;
  }

  private static double round(double value, int scale) {
    return Math.round(value * scale) / (double) scale;
  }

  static String stepMessage(int from, int to, String reason) {
    return String.format(Locale.ROOT, "%d→%d: %s", from, to, reason);
  }
}
