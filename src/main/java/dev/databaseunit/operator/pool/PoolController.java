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
 * The pool loop of one PgBouncer (a replica of the unit's pooler), one {@link #tick(int)} per sample interval: read
 * the pool size in force from PgBouncer (never assumed), re-apply the last size we set if PgBouncer lost it (a
 * restart), take a sample, ask the policy, and apply a step live with {@code SET default_pool_size} (pools of
 * databases without their own pool_size follow it at once), never above the replica's share of the unit's budget
 * ({@link ReplicaPools} gives it), keeping PgBouncer's server_idle_timeout at the unit's value. Each tick opens a
 * fresh admin connection, so a restarted PgBouncer is simply reached again and the login time is measured. State it
 * needs after an operator restart comes from the unit's status (last step time) and from PgBouncer (the size).
 */
public final class PoolController {
  private static final Logger log = LoggerFactory.getLogger(PoolController.class);
  static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(5);

  /** What the loop tells the outside world about; called on the loop's thread. */
  public interface Listener {
    void scaled(Direction direction, int from, int to, String reason);

    void reapplied(int found, int applied);
  }

  /** What one replica's loop last saw and did; see {@link #snapshot()}. */
  record Snapshot(int size, int wanted, int share, double utilisation, PoolSample latest, Optional<Instant> lastStep,
      String lastReason) {}

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
  private int share;
  private PgBouncerAdmin.StatsRow previousStats;
  private PoolSample latest;
  private Decision lastDecision;
  private Optional<UnitProblem> problem = Optional.empty();

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
    this.lastStep = previous != null && previous.lastScaleTime() != null
        ? Optional.of(Instant.parse(previous.lastScaleTime())) : Optional.empty();
    this.lastReason = previous != null ? previous.lastScaleReason() : null;
    this.applied = previous == null ? settings.initialSize() : null;
    this.share = settings.maxSize();
  }

  synchronized void update(AdminEndpoint newEndpoint, PoolSettings newSettings) {
    endpoint = newEndpoint;
    settings = newSettings;
  }

  /**
   * One sample, decision and (maybe) step, when one is due ({@link PoolSizingPolicy#sampleDue}) or when the size in
   * force is above the share. Never throws: failures become {@link #problem()}.
   *
   * @param newShare the most this PgBouncer's pool may be: its share of the unit's budget
   */
  public synchronized void tick(int newShare) {
    share = newShare;
    Instant now = clock.instant();
    boolean overShare = applied != null && applied > share;
    if (!overShare && !PoolSizingPolicy.sampleDue(Optional.ofNullable(latest), settings, now)) {
      return;
    }
    try (PgBouncerAdminClient admin = endpoint.connect(ADMIN_TIMEOUT)) {
      int size = poolSize(admin, database);
      metrics.connected(admin.lastConnectNanos());
      if (applied != null && size != applied) {
        int target = Math.min(Math.clamp(applied, settings.minSize(), settings.maxSize()), share);
        apply(admin, target);
        if (previousStats != null || lastDecision != null) {
          listener.reapplied(size, target);
        }
        size = target;
      }
      // The first read after an operator restart is taken as it is: the replicas were within the budget before.
      int cap = applied == null ? Math.max(share, size) : share;
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
      int target = Math.min(lastDecision.size(), cap);
      if (target != size) {
        String reason = target == lastDecision.size() ? lastDecision.reason()
            : lastDecision.reason() + "; held at " + cap + ", this PgBouncer's share of the connection budget";
        Direction direction = target > size ? Direction.UP : Direction.DOWN;
        apply(admin, target);
        applied = target;
        lastStep = Optional.of(now);
        lastReason = reason;
        metrics.scaled(direction);
        listener.scaled(direction, size, target, reason);
      }
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
   * The size this PgBouncer holds for the budget: the size in force, else (not read yet since the operator started)
   * the ini's initial size.
   */
  synchronized int held() {
    return applied != null ? applied : settings.initialSize();
  }

  /**
   * What this PgBouncer counts against the budget: its size, or the server connections it had open at the last
   * sample when those are more. A shrunk pool closes its surplus connections only as clients release them, so until
   * then another replica may not grow into them.
   */
  synchronized int committed() {
    int open = latest == null ? 0 : latest.serversActive() + latest.serversIdle() + latest.serversUsed();
    return Math.max(held(), open);
  }

  /** What the policy last wanted for this PgBouncer's load; before any decision, the size it holds. */
  synchronized int wanted() {
    return lastDecision != null ? lastDecision.size() : applied != null ? applied : settings.initialSize();
  }

  /** Empty until the first sample. */
  synchronized Optional<Snapshot> snapshot() {
    if (latest == null || lastDecision == null || applied == null) {
      return Optional.empty();
    }
    return Optional.of(new Snapshot(applied, lastDecision.size(), share, lastDecision.utilisation(), latest, lastStep,
        lastReason));
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

  static String stepMessage(int from, int to, String reason) {
    return String.format(Locale.ROOT, "%d→%d: %s", from, to, reason);
  }
}
